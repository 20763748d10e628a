"""AWS End User Messaging SMS (`pinpoint-sms-voice-v2`) in process, for every suite: moto has none.

The emulator answers at botocore's HTTP boundary (the `before-send` event of that one service,
which botocore asks before moto's catch-all for every service), so botocore itself validates each
request against the service model (TimeToLive below 5 never leaves the client), serialises it, and
parses the answer, errors included, as it would AWS's: a refusal is a real `ClientError` with
`Error.Code` (the model's exception shape), `Message` and the shape's `Reason`. The shared fault
harness sits above it (`faults.fail("pinpoint-sms-voice-v2", "SendTextMessage", ...)`, crashes and
`faults.calls` work as for any service).

What it models of SendTextMessage (service model 2022-03-31 and the service's documented
behaviour): a number on the opt-out list is refused with ConflictException
DESTINATION_PHONE_NUMBER_OPTED_OUT; a TimeToLive above 259,200 s with ValidationException; an
origination identity or configuration set the account lacks with ResourceNotFoundException (only
when the test names which exist); anything else is accepted with a MessageId and recorded.

    def test_a_text_names_its_configuration_set(sms_voice):
        ...
        assert [m["ConfigurationSetName"] for m in sms_voice.messages] == ["hearth-test-sms"]
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from io import BytesIO
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse
from botocore.handlers import BUILTIN_HANDLERS

SERVICE = "pinpoint-sms-voice-v2"
TTL_MAX = 259_200  # the model's TimeToLive maximum (botocore checks only the minimum, 5)


class _Body(BytesIO):
    def stream(self, **_: Any) -> Iterator[bytes]:
        chunk = self.read()
        while chunk:
            yield chunk
            chunk = self.read()


@dataclass
class SmsVoice:
    """The account's End User Messaging SMS as one test sees it."""

    enabled: bool = False
    messages: list[dict[str, Any]] = field(default_factory=list)  # accepted requests, as AWS got them
    opted_out: set[str] = field(default_factory=set)  # the default opt-out list's numbers
    origination_identities: set[str] | None = None  # None: any identity the request names exists
    configuration_sets: set[str] | None = None  # None: any configuration set exists

    def texts(self) -> list[tuple[str, str]]:
        return [(m["DestinationPhoneNumber"], m["MessageBody"]) for m in self.messages]

    def reset(self) -> None:
        self.messages.clear()
        self.opted_out.clear()
        self.origination_identities = self.configuration_sets = None

    def __call__(self, request: Any, **_: Any) -> AWSResponse | None:
        if not self.enabled:
            return None
        target = request.headers.get("X-Amz-Target", b"")
        operation = (target.decode() if isinstance(target, bytes) else target).rpartition(".")[2]
        body = request.body or b"{}"
        params = json.loads(body.decode() if isinstance(body, bytes) else body)
        if operation != "SendTextMessage":
            return _answer(request, 400, _error("ValidationException", "Not emulated", "UNKNOWN_OPERATION"))
        return _answer(request, *self._send_text_message(params))

    def _send_text_message(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        identity = params.get("OriginationIdentity")
        known = self.origination_identities
        if identity is not None and known is not None and identity not in known:
            return 400, _missing("phone-number", identity)
        config_set = params.get("ConfigurationSetName")
        sets = self.configuration_sets
        if config_set is not None and sets is not None and config_set not in sets:
            return 400, _missing("configuration-set", config_set)
        ttl = params.get("TimeToLive")
        if ttl is not None and ttl > TTL_MAX:
            reason = "FIELD_VALIDATION_FAILED"
            return 400, _error("ValidationException", "TimeToLive out of range", reason, field="TimeToLive")
        if params["DestinationPhoneNumber"] in self.opted_out:
            message = "The destination phone number is opted out."
            return 400, _error("ConflictException", message, "DESTINATION_PHONE_NUMBER_OPTED_OUT")
        self.messages.append(params)
        return 200, {"MessageId": str(uuid.uuid4())}


def _error(code: str, message: str, reason: str, field: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"__type": code, "message": message, "Reason": reason}
    if field is not None:
        body["Fields"] = [{"Name": field, "Message": message}]
    return body


def _missing(kind: str, name: str) -> dict[str, Any]:
    message = f"The {kind} {name} does not exist."
    return {
        "__type": "ResourceNotFoundException",
        "message": message,
        "ResourceType": kind,
        "ResourceId": name,
    }


def _answer(request: Any, status: int, body: dict[str, Any]) -> AWSResponse:
    headers = {"Content-Type": "application/x-amz-json-1.0", "x-amzn-RequestId": str(uuid.uuid4())}
    return AWSResponse(request.url, status, headers, _Body(json.dumps(body).encode()))


EMULATOR = SmsVoice()
# Registered once, before any client exists; more specific than moto's "before-send", so asked first.
BUILTIN_HANDLERS.append((f"before-send.{SERVICE}", EMULATOR))


@pytest.fixture(autouse=True)
def sms_voice() -> Iterator[SmsVoice]:
    """End User Messaging SMS, empty, for the length of one test."""
    EMULATOR.reset()
    EMULATOR.enabled = True
    yield EMULATOR
    EMULATOR.enabled = False
    EMULATOR.reset()
