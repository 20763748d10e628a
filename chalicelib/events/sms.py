"""Inbound SMS from AWS End User Messaging, delivered on an SNS topic: a thin handler."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from chalice import Blueprint

from chalicelib.domain.contact import ContactError, normalise_phone
from chalicelib.observability import logger
from chalicelib.services.container import services
from chalicelib.settings import inbound_sms_topic_name

sms = Blueprint(__name__)


def _sent_at(event: Any) -> datetime:
    stamp = event.to_dict()["Records"][0]["Sns"].get("Timestamp")
    try:
        return datetime.fromisoformat(stamp.replace("Z", "+00:00")) if stamp else datetime.now(UTC)
    except ValueError:
        return datetime.now(UTC)


@sms.on_sns_message(topic=inbound_sms_topic_name(), name="inbound_sms")
def inbound_sms(event: Any) -> None:
    try:
        payload = json.loads(event.message)
        number = normalise_phone(payload["originationNumber"])
        body = str(payload.get("messageBody", ""))
        message_id = str(payload["inboundMessageId"])
    except (ValueError, KeyError, TypeError, RecursionError, ContactError):
        logger().warning("unreadable inbound SMS dropped")
        return
    services().inbound_sms.handle(number, body, message_id=message_id, at=_sent_at(event))
