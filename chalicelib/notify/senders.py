"""Sending SMS and email. Locally both land in the outbox; in AWS, SNS and SES.

Senders take already-rendered, already-checked text. Whether a contact may be
messaged at all (verified, not opted out, within limits) is decided by the
caller before it gets here.
"""

from __future__ import annotations

from functools import cache
from typing import Protocol

from chalicelib import aws
from chalicelib.notify.outbox import Outbox
from chalicelib.settings import get_settings


class Sender(Protocol):
    def sms(self, to: str, body: str) -> None: ...

    def email(self, to: str, subject: str, text: str, html: str | None = None) -> None: ...


class OutboxSender:
    def __init__(self, outbox: Outbox) -> None:
        self.outbox = outbox

    def sms(self, to: str, body: str) -> None:
        self.outbox.append("sms", to, body)

    def email(self, to: str, subject: str, text: str, html: str | None = None) -> None:
        self.outbox.append("email", to, text, subject=subject)


class AwsSender:
    """SMS through SNS (transactional), email through SES v2."""

    def sms(self, to: str, body: str) -> None:
        settings = get_settings()
        attributes = {"AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"}}
        if settings.sms_origination_identity:
            attributes["AWS.MM.SMS.OriginationNumber"] = {
                "DataType": "String",
                "StringValue": settings.sms_origination_identity,
            }
        aws.client("sns").publish(PhoneNumber=to, Message=body, MessageAttributes=attributes)

    def email(self, to: str, subject: str, text: str, html: str | None = None) -> None:
        body = {"Text": {"Data": text, "Charset": "UTF-8"}}
        if html is not None:
            body["Html"] = {"Data": html, "Charset": "UTF-8"}
        aws.client("sesv2").send_email(
            FromEmailAddress=get_settings().email_from,
            Destination={"ToAddresses": [to]},
            Content={"Simple": {"Subject": {"Data": subject, "Charset": "UTF-8"}, "Body": body}},
        )


@cache
def outbox() -> Outbox:
    return Outbox(get_settings().outbox_path)


def sender() -> Sender:
    """The local outbox in local stages; SNS and SES everywhere else."""
    if get_settings().is_local:
        return OutboxSender(outbox())
    return AwsSender()
