"""Sending SMS and email. Locally both land in the outbox; in AWS, SNS and SES.

Senders take already-rendered, already-checked text. Whether a contact may be
messaged at all (verified, not opted out, within limits) is decided by the
caller before it gets here.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import cache
from typing import Protocol

from chalicelib import aws
from chalicelib.notify.outbox import Outbox
from chalicelib.settings import get_settings

# AWS error codes worth retrying (the SQS redelivery does it); anything else is permanent.
_TRANSIENT = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "InternalError",
        "InternalFailure",
        "InternalErrorException",
        "KMSThrottlingException",
    }
)
# Permanent failures that say something about the address itself.
_BAD_ADDRESS = frozenset({"InvalidParameter", "InvalidParameterException", "OptedOut", "OptedOutException"})


class SendError(Exception):
    """A message could not be sent."""


class TransientSendError(SendError):
    """Try again later (throttling, an outage)."""


class PermanentSendError(SendError):
    """Retrying will not help; `bad_address` says the address itself is unusable."""

    def __init__(self, message: str, *, bad_address: bool = False) -> None:
        super().__init__(message)
        self.bad_address = bad_address


class Sender(Protocol):
    def sms(self, to: str, body: str) -> None: ...

    def email(
        self,
        to: str,
        subject: str,
        text: str,
        html: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None: ...


@contextmanager
def _classified() -> Iterator[None]:
    from botocore.exceptions import BotoCoreError, ClientError

    from chalicelib.notify import kill_switch  # every SMS and email to AWS passes here

    kill_switch.check()
    try:
        yield
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code in _TRANSIENT:
            raise TransientSendError(code) from exc
        raise PermanentSendError(code, bad_address=code in _BAD_ADDRESS) from exc
    except BotoCoreError as exc:  # connection errors, timeouts
        raise TransientSendError(type(exc).__name__) from exc


class OutboxSender:
    def __init__(self, outbox: Outbox) -> None:
        self.outbox = outbox

    def sms(self, to: str, body: str) -> None:
        self.outbox.append("sms", to, body)

    def email(
        self,
        to: str,
        subject: str,
        text: str,
        html: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
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
        with _classified():
            sns = aws.client("sns")
            if sns.check_if_phone_number_is_opted_out(phoneNumber=to).get("isOptedOut"):
                raise PermanentSendError("OptedOut", bad_address=True)  # SNS's own opt-out list
            sns.publish(PhoneNumber=to, Message=body, MessageAttributes=attributes)

    def email(
        self,
        to: str,
        subject: str,
        text: str,
        html: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        body = {"Text": {"Data": text, "Charset": "UTF-8"}}
        if html is not None:
            body["Html"] = {"Data": html, "Charset": "UTF-8"}
        simple: dict[str, object] = {"Subject": {"Data": subject, "Charset": "UTF-8"}, "Body": body}
        if headers:
            simple["Headers"] = [{"Name": name, "Value": value} for name, value in headers.items()]
        settings = get_settings()
        # the configuration set routes SES's bounces and complaints back to Hearth
        routed = (
            {"ConfigurationSetName": settings.ses_configuration_set} if settings.ses_configuration_set else {}
        )
        with _classified():
            aws.client("sesv2").send_email(
                FromEmailAddress=settings.email_from,
                Destination={"ToAddresses": [to]},
                Content={"Simple": simple},
                **routed,
            )


@cache
def outbox() -> Outbox:
    return Outbox(get_settings().outbox_path)


def sender() -> Sender:
    """The local outbox in local stages; SNS and SES everywhere else."""
    if get_settings().is_local:
        return OutboxSender(outbox())
    return AwsSender()
