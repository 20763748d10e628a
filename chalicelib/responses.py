"""The shapes Hearth answers with that a service builds whole: one model per shape, built by
the service and returned as it is by the route (which names it as the operation's response,
so it is also what `/openapi.json` describes).

Like the api's schema modules, this one leaves out `from __future__ import annotations` (pydantic
then reads each field's type as an object) and defers building validators to first use.
"""

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    SerializerFunctionWrapHandler,
    model_serializer,
)


class ResponseModel(BaseModel):
    model_config = ConfigDict(extra="forbid", from_attributes=True, defer_build=True)


Instant = Annotated[
    datetime,
    PlainSerializer(lambda value: value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), return_type=str),
    Field(description="ISO 8601 UTC instant", examples=["2026-12-01T00:00:00Z"]),
]


# --- groups ------------------------------------------------------------------------------------


class Invite(ResponseModel):
    code: str
    url: str = Field(description="Opens the web join page")
    sms_text: str = Field(description="What a member texts to join, e.g. JOIN ABCD2345")
    expires_at: Instant | None
    max_uses: int | None
    uses: int
    active: bool


class NextSession(ResponseModel):
    session_id: str
    start: Instant
    start_local: str
    timezone: str


class Group(ResponseModel):
    group_id: str
    name: str
    topic: str
    description: str
    timezone: str
    access: Literal["invite", "open"]
    listed: bool
    max_members: int | None
    member_count: int
    session_label: str
    join_code: str | None = Field(default=None, description="Open listed groups: the code anyone may use")
    next_session: NextSession | None = None
    invite: Invite | None = Field(default=None, description="Only for the group's facilitators")


class RosterEntry(ResponseModel):
    member_id: str
    handle: str
    role: Literal["member", "facilitator"]
    joined_at: Instant | None = Field(default=None, description="Members, for the group's facilitators")
    muted_until: Instant | None = Field(
        default=None,
        description="For the group's facilitators: when the member's mute ends (past: it has ended)",
    )

    @model_serializer(mode="wrap")
    def _staff_fields_only_when_shown(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        """Members see handles and roles only: the facilitators' fields are left out, not null."""
        data: dict[str, Any] = handler(self)
        for name in ("joined_at", "muted_until"):
            if data.get(name) is None:
                data.pop(name, None)
        return data


class FacilitatedGroup(Group):
    open_alerts: int = Field(ge=0, description="Alerts not yet marked handled")


# --- membership --------------------------------------------------------------------------------


class Joined(ResponseModel):
    member_id: str
    group_id: str
    handle: str
    token: str = Field(description="Shown once; Hearth keeps only its hash")
    timezone: str


class QuietHours(BaseModel):
    """Given in a request (reminder preferences) and answered alike."""

    model_config = ConfigDict(
        extra="forbid", str_strip_whitespace=True, from_attributes=True, defer_build=True
    )

    start: str = Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$", examples=["21:00"])
    end: str = Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$", examples=["08:00"])


class RemindersOut(ResponseModel):
    channels: list[Literal["sms", "email"]]
    lead_minutes: list[int]
    quiet_hours: QuietHours | None


class ContactChannel(ResponseModel):
    status: Literal["pending", "verified", "opted_out"]
    masked: str = Field(examples=["•••• 1234"])


class Contact(ResponseModel):
    sms: ContactChannel | None
    email: ContactChannel | None


class Me(ResponseModel):
    member_id: str
    group_id: str
    handle: str
    timezone: str
    reminders: RemindersOut
    contact: Contact
    calendar_url: str | None = Field(description="null only while the service cannot read it")
    country: str | None = Field(
        description="ISO 3166-1 alpha-2: chosen, else from the time zone (null for UTC and the like); "
        "chooses the crisis lines shown",
        examples=["DE"],
    )
    muted_until: Instant | None = Field(
        default=None, description="When the member's last mute ends; a past time means it has ended"
    )
    sms_countries: list[str] = Field(
        default_factory=list, description="Countries whose numbers Hearth can text"
    )


class InvitePreview(ResponseModel):
    code: str
    group_id: str
    name: str
    description: str = Field(description="The group's guidelines")
    topic: str
    full: bool = Field(description="The group has no free seat; joining would be refused")


class Device(ResponseModel):
    device_id: str
    created_at: Instant
    last_seen_at: Instant | None = Field(description="to the hour; null until first used")
    current: bool = Field(description="the device making this request")


# --- sessions ----------------------------------------------------------------------------------


class Session(ResponseModel):
    session_id: str
    series_id: str
    group_id: str
    title: str
    start: Instant
    end: Instant
    start_local: str
    timezone: str
    status: Literal["scheduled", "cancelled"]
    capacity: int | None
    going: int
    waitlisted: int
    my_rsvp: Literal["going", "waitlisted"] | None
    position: int | None = Field(description="The caller's waitlist place")
    moved_from: Instant | None = Field(default=None, description="Its start before it was moved")


class Series(ResponseModel):
    series_id: str
    group_id: str
    title: str
    start_local: str
    timezone: str
    duration_minutes: int
    rrule: str
    capacity: int | None
    conference_url: str | None = Field(description="Only for the group's facilitators")
    status: Literal["active", "ended"]
    next_sessions: list[Session] | None = None


class SessionList(ResponseModel):
    sessions: list[Session]
    next: Instant | None = Field(
        default=None,
        description="More sessions in the window (at most 200 per answer): ask again with this as `from`",
    )


class RsvpOut(ResponseModel):
    status: Literal["going", "waitlisted"]
    position: int | None = None


class GoingEntry(ResponseModel):
    member_id: str
    handle: str


class WaitlistEntry(ResponseModel):
    member_id: str
    handle: str
    position: int = Field(ge=1, description="1 is promoted first")


class Attendance(ResponseModel):
    going: list[GoingEntry] = Field(description="By handle")
    waitlist: list[WaitlistEntry] = Field(description="In order")


# --- room --------------------------------------------------------------------------------------

AuthorRole = Literal["member", "facilitator"]  # who wrote a message or acted (`identity.Role` values)


class Message(ResponseModel):
    message_id: str
    group_id: str
    handle: str = Field(description="The author's handle (a facilitator's display name) when posted")
    role: AuthorRole
    body: str = Field(description="Plain text, never HTML")
    created_at: Instant
    mine: bool


class CrisisResource(ResponseModel):
    name: str
    how: str
    detail: str
    tel: str | None = Field(default=None, description="A tel: URI to call", examples=["tel:988"])
    sms: str | None = Field(
        default=None, description="An sms: URI to text", examples=["sms:741741?body=HOME"]
    )
    url: str | None = Field(default=None, description="The service's own page")


class PostedMessage(ResponseModel):
    message: Message
    resources: list[CrisisResource] | None = Field(
        default=None, description="Only when the message reads as a crisis; shown to its writer alone"
    )
    notice: str | None = Field(
        default=None,
        description="For the writer alone: why a phone number or email in the message was hidden",
    )
    alerted: bool = Field(default=False, description="A facilitator was alerted (a crisis)")


class Muted(ResponseModel):
    member_id: str
    muted_until: Instant


AlertStatus = Literal["open", "handled"]


class Alert(ResponseModel):
    alert_id: str
    kind: Literal["crisis", "report"]
    message_id: str | None = Field(description="null: a crisis message that was refused (muted, too fast)")
    created_at: Instant
    category: str | None = Field(description="crisis: suicide or self_harm")
    reason: str | None = Field(description="report: the reporter's words, if any")
    status: AlertStatus
    handled_at: Instant | None = Field(description="When a facilitator marked it handled")
    handled_by: str | None = Field(description="The display name of the facilitator who handled it")


class AuditEntry(ResponseModel):
    entry_id: str
    action: Literal["message_hidden", "member_muted", "member_unmuted", "member_removed", "alert_handled"]
    actor_id: str
    actor_role: AuthorRole
    actor_name: str | None
    member_id: str | None = Field(description="Whom the action concerned")
    handle: str | None
    message_id: str | None
    muted_until: Instant | None
    alert_id: str | None = Field(description="alert_handled: which alert")
    created_at: Instant


# --- admin -------------------------------------------------------------------------------------


class FacilitatorCreated(ResponseModel):
    facilitator_id: str
    display_name: str
    token: str = Field(description="Shown once; Hearth keeps only its hash.")
