"""Series, sessions, RSVPs and join links."""

import unicodedata
from typing import Annotated, Literal, Self
from urllib.parse import urlsplit

from pydantic import AfterValidator, Field, model_validator

from chalicelib.api.routing import ANYONE, FACILITATOR, MEMBER, MEMBER_OR_FACILITATOR, Routes
from chalicelib.api.schemas import (
    GivenInstant,
    PlainText,
    QueryModel,
    RequestModel,
    ResponseModel,
    Timezone,
)
from chalicelib.domain.identity import Caller
from chalicelib.responses import (
    Attendance,
    RsvpOut,
    Series,
    Session,
    SessionList,
)
from chalicelib.services.container import services

routes = Routes(__name__, "sessions")


def _https(value: str) -> str:
    """A plain https link: lowercase scheme, a host, no credentials, nothing invisible or reversed."""
    if any(char.isspace() or unicodedata.category(char) in ("Cc", "Cf") for char in value):
        raise ValueError("Use an https:// link without spaces or invisible characters.")
    parts = urlsplit(value)
    if not value.startswith("https://") or not parts.hostname:
        raise ValueError("Use an https:// link.")
    if "@" in parts.netloc:
        raise ValueError("Use a link without a user name or password in it.")
    return value


ConferenceUrl = Annotated[
    str, Field(max_length=500, examples=["https://meet.example.org/abc"]), AfterValidator(_https)
]
StartLocal = Annotated[
    str,
    Field(
        pattern=r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$",
        examples=["2026-12-01T19:00"],
        description="Local wall-clock time",
    ),
]
Rrule = Annotated[str, Field(min_length=6, max_length=200, examples=["FREQ=WEEKLY;BYDAY=TU"])]
Duration = Annotated[int, Field(ge=15, le=240)]
Capacity = Annotated[int, Field(ge=1, le=500)]


class CreateSeries(RequestModel):
    title: PlainText | None = Field(default=None, min_length=1, max_length=80)
    start_local: StartLocal
    timezone: Timezone
    duration_minutes: Duration
    rrule: Rrule
    capacity: Capacity | None = None
    conference_url: ConferenceUrl | None = None


class UpdateSeries(RequestModel):
    title: PlainText | None = Field(default=None, min_length=1, max_length=80)
    start_local: StartLocal | None = None
    timezone: Timezone | None = None
    duration_minutes: Duration | None = None
    rrule: Rrule | None = None
    capacity: Capacity | None = Field(default=None, description="null removes the limit")
    conference_url: ConferenceUrl | None = Field(default=None, description="null removes the link")
    effective_from: GivenInstant | None = Field(default=None, description="Default: now")


class SeriesList(ResponseModel):
    series: list[Series]


class SessionWindow(QueryModel):
    from_: GivenInstant | None = Field(default=None, alias="from", description="Default: now")
    to: GivenInstant | None = Field(default=None, description="Default: from + 30 days; at most 366 days")


class UpdateSession(RequestModel):
    status: Literal["cancelled"] | None = None
    start_local: StartLocal | None = None
    duration_minutes: Duration | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> Self:
        moving = self.start_local is not None or self.duration_minutes is not None
        if self.status is None and not moving:
            raise ValueError("Give status 'cancelled', or a new start_local and/or duration_minutes.")
        if self.status is not None and moving:
            raise ValueError("Cancel or move, not both.")
        return self


class JoinLink(ResponseModel):
    conference_url: str


@routes.operation(
    "POST",
    "/v1/groups/{group_id}/series",
    allowed=FACILITATOR,
    summary="Schedule a recurring series (at most 10 active per group)",
    body=CreateSeries,
    response=Series,
    status=201,
    errors=(409,),
)
def create_series(caller: Caller, group_id: str, body: CreateSeries) -> Series:
    return services().series.create_series(caller, group_id, **body.model_dump())


@routes.operation(
    "GET",
    "/v1/groups/{group_id}/series",
    allowed=MEMBER_OR_FACILITATOR,
    summary="A group's series",
    response=SeriesList,
)
def list_series(caller: Caller, group_id: str) -> SeriesList:
    return SeriesList(series=list(services().series.list_series(caller, group_id)))


@routes.operation(
    "PATCH",
    "/v1/series/{series_id}",
    allowed=FACILITATOR,
    summary="Change this and following sessions (splits the series when times change)",
    body=UpdateSeries,
    response=Series,
    errors=(409,),
)
def update_series(caller: Caller, series_id: str, body: UpdateSeries) -> Series:
    view = services().series.update_series(caller, series_id, body, body.effective_from)
    return view


@routes.operation(
    "DELETE",
    "/v1/series/{series_id}",
    allowed=FACILITATOR,
    summary="End a series; future sessions are cancelled",
    status=204,
)
def end_series(caller: Caller, series_id: str) -> None:
    services().series.end_series(caller, series_id)


@routes.operation(
    "GET",
    "/v1/groups/{group_id}/sessions",
    allowed=ANYONE,
    summary="Sessions in a window (listed groups: anyone)",
    query=SessionWindow,
    response=SessionList,
)
def list_sessions(caller: Caller, group_id: str, query: SessionWindow) -> SessionList:
    return services().sessions.list_sessions(caller, group_id, query.from_, query.to)


@routes.operation("GET", "/v1/sessions/{session_id}", allowed=ANYONE, summary="A session", response=Session)
def get_session(caller: Caller, session_id: str) -> Session:
    return services().sessions.get_session(caller, session_id)


@routes.operation(
    "PATCH",
    "/v1/sessions/{session_id}",
    allowed=FACILITATOR,
    summary="Cancel or move one session",
    body=UpdateSession,
    response=Session,
    errors=(409,),
)
def update_session(caller: Caller, session_id: str, body: UpdateSession) -> Session:
    sessions = services().sessions
    if body.status == "cancelled":
        return sessions.cancel_session(caller, session_id)
    return sessions.move_session(caller, session_id, body.start_local, body.duration_minutes)


@routes.operation(
    "PUT",
    "/v1/sessions/{session_id}/rsvp",
    allowed=MEMBER,
    summary="Going, or on the waitlist when full; idempotent",
    response=RsvpOut,
    errors=(409,),
)
def rsvp(caller: Caller, session_id: str) -> RsvpOut:
    return services().rsvps.rsvp(caller, session_id)


@routes.operation(
    "DELETE",
    "/v1/sessions/{session_id}/rsvp",
    allowed=MEMBER,
    summary="Not going; the first on the waitlist is promoted",
    status=204,
)
def cancel_rsvp(caller: Caller, session_id: str) -> None:
    services().rsvps.cancel_rsvp(caller, session_id)


@routes.operation(
    "GET",
    "/v1/sessions/{session_id}/rsvps",
    allowed=FACILITATOR,
    summary="Who is going and the waitlist in order, by handle",
    response=Attendance,
)
def list_rsvps(caller: Caller, session_id: str) -> Attendance:
    return services().sessions.attendance(caller, session_id)


@routes.operation(
    "GET",
    "/v1/sessions/{session_id}/join",
    allowed=MEMBER,
    summary="The conference link, from 15 minutes before the start to the end",
    response=JoinLink,
    errors=(409, 410, 425),
)
def join_link(caller: Caller, session_id: str) -> JoinLink:
    return JoinLink(conference_url=services().sessions.join_link(caller, session_id))
