"""SES bounce and complaint events, delivered on an SNS topic: a thin handler."""

from __future__ import annotations

import json
from typing import Any

from chalice import Blueprint

from chalicelib.observability import logger
from chalicelib.services.container import services
from chalicelib.settings import email_events_topic_name

email = Blueprint(__name__)


@email.on_sns_message(topic=email_events_topic_name(), name="email_feedback")
def email_feedback(event: Any) -> None:
    try:
        payload = json.loads(event.message)
    except ValueError:
        logger().warning("unreadable email feedback dropped")
        return
    if isinstance(payload, dict):
        services().email_feedback.handle(payload)
