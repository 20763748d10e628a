"""Inbound SMS: one entry point for the SNS handler and the local `/v1/dev/sms` route."""

from __future__ import annotations

from chalicelib.domain import sms_text
from chalicelib.notify.senders import Sender, sender


class InboundSms:
    def __init__(self, outbound: Sender | None = None) -> None:
        self.outbound = outbound

    def handle(self, from_number: str, body: str) -> list[str]:
        """Act on one inbound text and send (and return) the replies."""
        keyword = body.strip().split(maxsplit=1)[0].strip(".!?,;:").upper() if body.strip() else ""
        replies = [sms_text.HELP_REPLY if keyword in ("HELP", "INFO") else sms_text.UNKNOWN_REPLY]
        outbound = self.outbound or sender()
        for reply in replies:
            outbound.sms(from_number, reply)
        return replies
