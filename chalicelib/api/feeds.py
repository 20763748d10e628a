"""Calendar feeds (.ics) and the public Meeting Guide list."""

from __future__ import annotations

from chalice import Response
from pydantic import Field, RootModel

from chalicelib.api.routing import ANYONE, Routes
from chalicelib.api.schemas import ResponseModel
from chalicelib.domain.identity import Caller
from chalicelib.services.container import services
from chalicelib.services.feeds import Feed

routes = Routes(__name__, "calendars")

ICS = "text/calendar"


def _ics(feed: Feed) -> Response:
    return Response(
        body=feed.body,
        status_code=200,
        headers={
            "Content-Type": f"{ICS}; charset=utf-8",
            "Content-Disposition": f'inline; filename="{feed.filename}"',
        },
    )


class Meeting(ResponseModel):
    name: str = Field(max_length=64, description="Cut at a word, with an ellipsis, past 64 characters")
    slug: str = Field(max_length=64, description="Stable across edits and splits of the series")
    day: int | list[int] = Field(description="0 = Sunday … 6 = Saturday; one entry per weekday")
    time: str
    end_time: str
    timezone: str
    types: list[str] = Field(description="Codes from the Meeting Guide spec's data/types.json")
    notes: str
    conference_url: str | None = Field(None, description="Hearth's join page for the group")
    url: str
    formatted_address: str = Field(description="Approximate: these groups meet online")
    approximate: str
    regions: list[str]
    updated: str | None = None


class Meetings(RootModel[list[Meeting]]):
    pass


@routes.operation(
    "GET",
    "/v1/groups/{group_id}/calendar.ics",
    allowed=ANYONE,
    summary="The group's sessions as an iCalendar feed (listed groups: anyone)",
    content_type=ICS,
)
def group_calendar(caller: Caller, group_id: str) -> Response:
    return _ics(services().feeds.group_calendar(caller, group_id))


@routes.operation(
    "GET",
    "/v1/feeds/{feed_token}/calendar.ics",
    allowed=ANYONE,
    summary="A member's private calendar feed",
    content_type=ICS,
)
def member_calendar(caller: Caller, feed_token: str) -> Response:
    return _ics(services().feeds.member_calendar(feed_token))


@routes.operation(
    "GET",
    "/v1/meetings.json",
    allowed=ANYONE,
    summary="Code for Recovery Meeting Guide list of listed weekly sessions",
    response=Meetings,
    public_cors=True,  # meeting finders on other sites load it from the browser
)
def meetings(caller: Caller) -> Meetings:
    return Meetings.model_validate(services().feeds.meetings())
