"""The group room: messages, reports, hiding, muting, alerts and the moderation audit trail."""

from typing import Literal

from pydantic import Field

from chalicelib.api.routing import ANYONE, FACILITATOR, MEMBER, MEMBER_OR_FACILITATOR, Routes
from chalicelib.api.schemas import PlainText, QueryModel, RequestModel, ResponseModel
from chalicelib.domain.identity import Caller
from chalicelib.domain.room import MAX_BODY, SEQ_PATTERN
from chalicelib.responses import (
    Alert,
    AlertStatus,
    AuditEntry,
    Message,
    Muted,
    PostedMessage,
)
from chalicelib.services.container import services

routes = Routes(__name__, "room")


class NewMessage(RequestModel):
    body: str = Field(
        min_length=1,
        description=f"1 to {MAX_BODY} characters after trimming; control characters are removed",
    )


class Cursor(QueryModel):
    before: str | None = Field(
        default=None, pattern=SEQ_PATTERN, description="The `next` of the previous page"
    )
    limit: int = Field(default=50, ge=1, le=100)


class MessagePage(ResponseModel):
    messages: list[Message] = Field(description="Newest first")
    next: str | None = Field(description="Pass as `before` for older messages; null at the end")


class ReportMessage(RequestModel):
    reason: PlainText | None = Field(default=None, max_length=500)


class ReportReceipt(ResponseModel):
    message_id: str
    status: Literal["received"]
    notice: str | None = Field(default=None, description="Why contact details in the reason were hidden")


class MuteMember(RequestModel):
    minutes: int = Field(ge=1, le=10080, description="Up to 7 days; the mute ends by itself")


class AlertQuery(Cursor):
    status: AlertStatus | Literal["all"] = Field(
        default="open", description="open (the queue), handled (the history) or all"
    )


class HandleAlert(RequestModel):
    status: Literal["handled"]


class AlertList(ResponseModel):
    alerts: list[Alert] = Field(description="Newest first; never the message text")
    next: str | None


class AuditTrail(ResponseModel):
    entries: list[AuditEntry] = Field(description="Newest first; never the message text")
    next: str | None


@routes.operation(
    "GET",
    "/v1/groups/{group_id}/messages",
    allowed=MEMBER_OR_FACILITATOR,
    summary="The room's messages, newest first",
    query=Cursor,
    response=MessagePage,
)
def list_messages(caller: Caller, group_id: str, query: Cursor) -> MessagePage:
    page = services().room.messages(caller, group_id, query.before, query.limit)
    return MessagePage(messages=list(page.items), next=page.next)


@routes.operation(
    "POST",
    "/v1/groups/{group_id}/messages",
    allowed=MEMBER_OR_FACILITATOR,
    summary="Post in the room (members who are not muted, facilitators)",
    body=NewMessage,
    response=PostedMessage,
    status=201,
    errors=(409, 429),
)
def post_message(caller: Caller, group_id: str, body: NewMessage) -> PostedMessage:
    return services().room.post(caller, group_id, body.body)


@routes.operation(
    "POST",
    "/v1/messages/{message_id}/report",
    allowed=MEMBER,
    summary="Report a message to the group's facilitators (once per member)",
    body=ReportMessage,
    response=ReportReceipt,
    status=202,
    errors=(409,),
)
def report_message(caller: Caller, message_id: str, body: ReportMessage) -> ReportReceipt:
    notice = services().moderation.report(caller, message_id, body.reason)
    return ReportReceipt(message_id=message_id, status="received", notice=notice)


@routes.operation(
    "DELETE",
    "/v1/messages/{message_id}",
    allowed=MEMBER_OR_FACILITATOR,
    summary="Hide a message from everyone (its author, or the group's facilitators)",
    status=204,
)
def hide_message(caller: Caller, message_id: str) -> None:
    services().moderation.hide(caller, message_id)


@routes.operation(
    "POST",
    "/v1/groups/{group_id}/members/{member_id}/mute",
    allowed=FACILITATOR,
    summary="Mute a member in the room for some minutes",
    body=MuteMember,
    response=Muted,
    errors=(409,),
)
def mute_member(caller: Caller, group_id: str, member_id: str, body: MuteMember) -> Muted:
    return services().moderation.mute(caller, group_id, member_id, body.minutes)


@routes.operation(
    "DELETE",
    "/v1/groups/{group_id}/members/{member_id}/mute",
    allowed=FACILITATOR,
    summary="End a member's mute now",
    status=204,
)
def unmute_member(caller: Caller, group_id: str, member_id: str) -> None:
    services().moderation.unmute(caller, group_id, member_id)


@routes.operation(
    "GET",
    "/v1/groups/{group_id}/alerts",
    allowed=FACILITATOR,
    summary="Crisis and report alerts, newest first (open ones unless asked)",
    query=AlertQuery,
    response=AlertList,
)
def list_alerts(caller: Caller, group_id: str, query: AlertQuery) -> AlertList:
    status = None if query.status == "all" else query.status
    page = services().moderation.alerts(caller, group_id, status, query.before, query.limit)
    return AlertList(alerts=list(page.items), next=page.next)


@routes.operation(
    "PATCH",
    "/v1/groups/{group_id}/alerts/{alert_id}",
    allowed=FACILITATOR,
    summary="Mark an alert handled (who and when are kept; again changes nothing)",
    body=HandleAlert,
    response=Alert,
)
def handle_alert(caller: Caller, group_id: str, alert_id: str, body: HandleAlert) -> Alert:
    return services().moderation.handle_alert(caller, group_id, alert_id)


@routes.operation(
    "GET",
    "/v1/groups/{group_id}/audit",
    allowed=FACILITATOR,
    summary="Moderation actions in the group (who, what, when), newest first",
    query=Cursor,
    response=AuditTrail,
)
def list_audit(caller: Caller, group_id: str, query: Cursor) -> AuditTrail:
    page = services().moderation.audit(caller, group_id, query.before, query.limit)
    return AuditTrail(entries=list(page.items), next=page.next)


class LiveRoom(ResponseModel):
    url: str | None = Field(
        description=(
            "The room's WebSocket: open `<url>?token=<member token>` (a facilitator adds `&group_id=`) "
            "for pushed `message` and `message_hidden` frames; null where there is none (poll instead)"
        )
    )


@routes.operation(
    "GET",
    "/v1/live",
    allowed=ANYONE,
    summary="Where pages open the room's live updates (the same URL for every group)",
    response=LiveRoom,
)
def live_room(caller: Caller) -> LiveRoom:
    return LiveRoom(url=services().live.live_url())
