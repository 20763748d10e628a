"""Sending SMS and email. Locally both land in the outbox; in AWS, End User Messaging SMS and SES.

Senders take already-rendered, already-checked text. Whether a contact may be
messaged at all (verified, not opted out, within limits) is decided by the
caller before it gets here.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import cache
from typing import Any, Protocol

from chalicelib import aws
from chalicelib.domain import sms_text
from chalicelib.notify import pace
from chalicelib.notify.outbox import Outbox
from chalicelib.settings import get_settings

# How End User Messaging SMS, SES v2 and AWS in general answer, read from botocore's service models
# (pinpoint-sms-voice-v2 2022-03-31, sesv2 2019-09-27) and the services' "Common Errors". A failure
# is one of three kinds: transient (retried through SQS), permanent for this one recipient (recorded
# for that recipient only), or configuration (nobody's state changes, sending stops, ops are paged).
_TRANSIENT_CODES = frozenset(
    {
        # End User Messaging SMS
        "ThrottlingException",  # 400: the origination identity's parts per second, or the API's rate
        "InternalServerException",  # 500
        # SES v2
        "TooManyRequestsException",  # 429: the sending rate
        "LimitExceededException",  # 400: the sending quota for now, not a bad request
        "InternalServiceErrorException",  # 500
        # AWS-wide
        "Throttling",
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
_THROTTLES = frozenset(
    {
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
# Permanent for one recipient: End User Messaging refuses a number on the opt-out list
# (ConflictException DESTINATION_PHONE_NUMBER_OPTED_OUT), or says that very number is not one
# (ValidationException naming only DestinationPhoneNumber). Every other refusal is about Hearth's
# own sending and so configuration: AccessDeniedException (IAM, ACCOUNT_DISABLED,
# INSUFFICIENT_ACCOUNT_REPUTATION), ResourceNotFoundException (the origination identity or the
# configuration set), ServiceQuotaExceededException (MONTHLY_SPEND_LIMIT_REACHED_FOR_TEXT), the
# sandbox (ConflictException DESTINATION_PHONE_NUMBER_NOT_VERIFIED), a country not enabled, any
# other ValidationException. SES has no synchronous per-recipient error worth acting on: addresses
# were verified by a code sent to them, and its BadRequestException / MessageRejected (an unverified
# identity in the sandbox) are Hearth's.
_OPTED_OUT = ("ConflictException", "DESTINATION_PHONE_NUMBER_OPTED_OUT")
_BAD_NUMBER_REASONS = frozenset({"INVALID_PARAMETER", "CANNOT_PARSE", "FIELD_VALIDATION_FAILED"})
_THE_NUMBER = ("DestinationPhoneNumber",)
# SendTextMessage's TimeToLive range, in seconds (its default, when none is given, is the maximum).
TTL_MIN = 5
TTL_MAX = 259_200


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


def classify(code: str, status: int, reason: str = "", fields: tuple[str, ...] = ()) -> SendError:
    """The kind of failure an AWS error code, HTTP status and (End User Messaging) reason and
    invalid fields stand for.

    botocore reports the HTTP status as the code when the body is not the service's (an HTML
    502/503 from a proxy or load balancer), so a numeric code is read as a status."""
    if code.isdigit():
        status = int(code)
    if code in _TRANSIENT_CODES or status == 429 or status >= 500:
        return TransientSendError(code)
    if (code, reason) == _OPTED_OUT:
        return PermanentSendError(code, opted_out=True)
    if code == "ValidationException" and reason in _BAD_NUMBER_REASONS and fields == _THE_NUMBER:
        return PermanentSendError(code, bad_address=True)
    return ConfigurationSendError(f"{code} {reason}".strip() or str(status))


@contextmanager
def _classified() -> Iterator[None]:
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

    from chalicelib.notify import kill_switch  # every SMS and email to AWS passes here

    kill_switch.check()
    try:
        yield
    except ClientError as exc:
        answer: Mapping[str, Any] = exc.response
        code = str(answer.get("Error", {}).get("Code", ""))
        status = int(answer.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
        fields = tuple(str(f.get("Name", "")) for f in answer.get("Fields") or ())
        raise classify(code, status, str(answer.get("Reason") or ""), fields) from exc
    except NoCredentialsError as exc:
        raise ConfigurationSendError(type(exc).__name__) from exc
    except BotoCoreError as exc:  # connection errors, timeouts (the provider may have accepted)
        raise TransientSendError(type(exc).__name__) from exc


def time_to_live(pacing: pace.Pacing, now: datetime) -> int | None:
    """Seconds the carrier may still try to deliver a text that is worthless after `expires`:
    none for one that never expires (SendTextMessage's default, 72 hours, applies), at most the
    API's maximum; `TooLateError` when less than its minimum is left."""
    if pacing.expires is None:
        return None
    left = math.floor((pacing.expires - now).total_seconds())
    if left < TTL_MIN:
        raise TooLateError(f"{left} s to live, under the provider's minimum")
    return min(left, TTL_MAX)


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
    """SMS through AWS End User Messaging (transactional, with a time-to-live), email through SES v2."""

    def __init__(self, clock: Callable[[], datetime] | None = None) -> None:
        self.clock = clock or (lambda: datetime.now(UTC))

    def sms(self, to: str, body: str) -> None:
        settings = get_settings()
        request: dict[str, Any] = {
            "DestinationPhoneNumber": to,
            "MessageBody": body,
            "MessageType": "TRANSACTIONAL",
        }
        if settings.sms_origination_identity:
            request["OriginationIdentity"] = settings.sms_origination_identity
        if settings.sms_configuration_set:  # routes the text's delivery events
            request["ConfigurationSetName"] = settings.sms_configuration_set
        ttl = time_to_live(pace.current(), self.clock())  # the carrier drops it after the start
        if ttl is not None:
            request["TimeToLive"] = ttl
        with _classified():  # an opted-out number is refused by the send itself: no second call
            aws.client("pinpoint-sms-voice-v2").send_text_message(**request)

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
    """The local outbox in local stages, End User Messaging and SES everywhere else; paced alike."""
    inner: Sender = OutboxSender(outbox()) if get_settings().is_local else AwsSender()
    return PacedSender(inner, pacer())
