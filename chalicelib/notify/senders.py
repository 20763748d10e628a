"""Sending SMS and email. Locally both land in the outbox; in AWS, SNS and SES.

Senders take already-rendered, already-checked text. Whether a contact may be
messaged at all (verified, not opted out, within limits) is decided by the
caller before it gets here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from functools import cache
from typing import Protocol

from chalicelib import aws
from chalicelib.domain import sms_text
from chalicelib.notify import pace
from chalicelib.notify.outbox import Outbox
from chalicelib.settings import get_settings

# How SNS, SES v2 and AWS in general answer, read from botocore's service models (sns
# 2010-03-31, sesv2 2019-09-27) and the services' "Common Errors". A failure is one of three
# kinds: transient (retried through SQS), permanent for this one recipient (recorded for that
# recipient only), or configuration (nobody's state changes, sending stops, ops are paged).
_TRANSIENT_CODES = frozenset(
    {
        # SNS
        "Throttled",  # ThrottledException, 429 (Publish and CheckIfPhoneNumberIsOptedOut)
        "Throttling",
        "KMSThrottling",  # KMSThrottlingException, 400: the topic's key is throttled, not wrong
        "InternalError",  # InternalErrorException, 500
        # SES v2
        "TooManyRequestsException",  # 429: the sending rate
        "LimitExceededException",  # 400: the sending quota for now, not a bad request
        "InternalServiceErrorException",  # 500
        # AWS-wide
        "ThrottlingException",
        "ThrottledException",
        "RequestLimitExceeded",
        "RequestThrottled",
        "RequestThrottledException",
        "SlowDown",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "InternalFailure",
        "InternalErrorException",
        "RequestTimeout",
        "RequestTimeoutException",
        "ExpiredToken",  # the function's role credentials are refreshed on the next call
        "ExpiredTokenException",
    }
)
# Permanent for one recipient: the number opted out (SNS's list or the carrier's), or SNS says
# that very number cannot be texted ("Invalid parameter: PhoneNumber Reason: ... is not valid to
# publish to"). Any other InvalidParameter / ParameterValueInvalid is about Hearth's own request
# (an origination identity, an attribute) and so configuration. SES has no synchronous
# per-recipient error worth acting on: addresses were verified by a code sent to them, and its
# BadRequestException / MessageRejected (an unverified identity in the sandbox) are Hearth's.
_THROTTLES = frozenset(
    {
        "Throttled",
        "Throttling",
        "TooManyRequestsException",
        "ThrottlingException",
        "ThrottledException",
        "RequestLimitExceeded",
        "RequestThrottled",
        "RequestThrottledException",
        "SlowDown",
    }
)
_OPTED_OUT = frozenset({"OptedOut", "OptedOutException"})
_NAMES_THE_NUMBER = frozenset({"InvalidParameter", "ParameterValueInvalid"})
_THE_NUMBER = re.compile(r"^Invalid parameter: PhoneNumber\b")


class SendError(Exception):
    """A message could not be sent."""


class TransientSendError(SendError):
    """Try again later (throttling, an outage, a proxy's 5xx)."""


class PacedLaterError(TransientSendError):
    """No second was free within the wait, or the provider throttled: retry at `retry_at`."""

    def __init__(self, message: str, retry_at: datetime) -> None:
        super().__init__(message)
        self.retry_at = retry_at


class TooLateError(SendError):
    """The message could only go after its deadline: it is dropped, never sent late."""


class PermanentSendError(SendError):
    """Retrying will not help for this recipient: `opted_out`, or the address itself is unusable."""

    def __init__(self, message: str, *, bad_address: bool = False, opted_out: bool = False) -> None:
        super().__init__(message)
        self.bad_address = bad_address or opted_out
        self.opted_out = opted_out


class ConfigurationSendError(SendError):
    """Hearth's own sending is misconfigured (identity, sandbox, permission, key): no recipient is
    at fault, nothing about anyone changes, and every send would fail the same way."""


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


def classify(code: str, status: int, message: str = "") -> SendError:
    """The kind of failure an AWS error code and HTTP status stand for.

    botocore reports the HTTP status as the code when the body is not the service's (an HTML
    502/503 from a proxy or load balancer), so a numeric code is read as a status."""
    if code.isdigit():
        status = int(code)
    if code in _TRANSIENT_CODES or status == 429 or status >= 500:
        return TransientSendError(code)
    if code in _OPTED_OUT:
        return PermanentSendError(code, opted_out=True)
    if code in _NAMES_THE_NUMBER and _THE_NUMBER.match(message):
        return PermanentSendError(code, bad_address=True)
    return ConfigurationSendError(code or str(status))


@contextmanager
def _classified() -> Iterator[None]:
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

    from chalicelib.notify import kill_switch  # every SMS and email to AWS passes here

    kill_switch.check()
    try:
        yield
    except ClientError as exc:
        error = exc.response.get("Error", {})
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
        raise classify(str(error.get("Code", "")), status, str(error.get("Message", ""))) from exc
    except NoCredentialsError as exc:
        raise ConfigurationSendError(type(exc).__name__) from exc
    except BotoCoreError as exc:  # connection errors, timeouts (the provider may have accepted)
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
                raise PermanentSendError("OptedOut", opted_out=True)  # SNS's own opt-out list
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


class PacedSender:
    """Every text and email passes here: it books its turn in the shared pace (counting SMS
    parts) and waits for it, and a provider's throttle slows the pace for every sender."""

    def __init__(self, inner: Sender, pacer: pace.Pacer) -> None:
        self.inner = inner
        self.pacer = pacer

    def sms(self, to: str, body: str) -> None:
        rate = get_settings().sms_mps
        self._send("sms", sms_text.parts(body), rate, lambda: self.inner.sms(to, body))

    def email(
        self,
        to: str,
        subject: str,
        text: str,
        html: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        rate = get_settings().email_per_second
        self._send("email", 1, rate, lambda: self.inner.email(to, subject, text, html, headers))

    def _send(self, channel: str, parts: int, rate: int, send: Callable[[], None]) -> None:
        try:
            self.pacer.wait_turn(channel, parts, rate, pace.current())
        except pace.PaceFullError as exc:
            if exc.too_late:
                raise TooLateError("No turn before the deadline.") from exc
            raise PacedLaterError("No turn within the wait.", exc.retry_at) from exc
        try:
            send()
        except TransientSendError as exc:
            if str(exc) not in _THROTTLES:
                raise
            raise PacedLaterError(str(exc), self.pacer.throttled(channel, rate)) from exc


@cache
def pacer() -> pace.Pacer:
    """The process's pacer (it remembers which seconds it saw full)."""
    return pace.Pacer()


@cache
def outbox() -> Outbox:
    return Outbox(get_settings().outbox_path)


def sender() -> Sender:
    """The local outbox in local stages, SNS and SES everywhere else; paced alike."""
    inner: Sender = OutboxSender(outbox()) if get_settings().is_local else AwsSender()
    return PacedSender(inner, pacer())
