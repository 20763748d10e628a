"""Local-stage routes: read the outbox, feed an inbound SMS.

Registered only when `HEARTH_DEV_ROUTES` is set (the local stack and tests), and
each refuses with 404 outside the local stages as a second guard.
"""

import uuid

from pydantic import Field

from chalicelib.api.routing import ANYONE, Routes
from chalicelib.api.schemas import QueryModel, RequestModel, ResponseModel
from chalicelib.domain.contact import ContactError, normalise_email, normalise_phone
from chalicelib.domain.identity import Caller
from chalicelib.errors import NotFoundError, ValidationError
from chalicelib.notify.senders import outbox
from chalicelib.services.container import services
from chalicelib.settings import get_settings

routes = Routes(__name__, "dev")


def _local_only() -> None:
    if not get_settings().is_local:
        raise NotFoundError()


def _normalise_address(value: str) -> str:
    try:
        return normalise_email(value) if "@" in value else normalise_phone(value)
    except ContactError as exc:
        raise ValidationError({"to": str(exc)}) from exc


class OutboxQuery(QueryModel):
    to: str | None = Field(default=None, max_length=254)


class OutboxMessage(ResponseModel):
    channel: str
    to: str
    subject: str | None
    body: str
    sent_at: str


class OutboxMessages(ResponseModel):
    messages: list[OutboxMessage]


class InboundSmsRequest(RequestModel):
    from_: str = Field(alias="from", min_length=1, max_length=32)
    body: str = Field(max_length=1600)


class SmsReplies(ResponseModel):
    replies: list[str]


@routes.operation(
    "GET",
    "/v1/dev/outbox",
    allowed=ANYONE,
    summary="Everything sent (local only)",
    query=OutboxQuery,
    response=OutboxMessages,
)
def read_outbox(caller: Caller, query: OutboxQuery) -> OutboxMessages:
    _local_only()
    to = _normalise_address(query.to) if query.to else None
    return OutboxMessages.model_validate({"messages": outbox().messages(to)})


@routes.operation(
    "DELETE", "/v1/dev/outbox", allowed=ANYONE, summary="Empty the outbox (local only)", status=204
)
def clear_outbox(caller: Caller) -> None:
    _local_only()
    outbox().clear()


@routes.operation(
    "POST",
    "/v1/dev/sms",
    allowed=ANYONE,
    summary="Feed an inbound SMS (local only)",
    body=InboundSmsRequest,
    response=SmsReplies,
)
def inbound_sms(caller: Caller, body: InboundSmsRequest) -> SmsReplies:
    _local_only()
    try:
        from_number = normalise_phone(body.from_)
    except ContactError as exc:
        raise ValidationError({"from": str(exc)}) from exc
    message_id = f"dev-{uuid.uuid4()}"
    return SmsReplies(replies=services().inbound_sms.handle(from_number, body.body, message_id=message_id))
