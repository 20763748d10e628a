"""Fault injection at the botocore boundary, shared by every suite.

Every AWS call Hearth makes — PynamoDB's and boto3's alike — goes through
`botocore.client.BaseClient._make_api_call`. `Faults` wraps it so a test can make
the Nth call of an operation fail as the service itself answers after botocore's
retries (a `ClientError` with the service's error code and HTTP status), or make
the process "die" at that call (`Crash`, which no handler catches).

    def test_throttled_query_keeps_the_watermark(faults):
        faults.fail("dynamodb", "Query", code="ProvisionedThroughputExceededException")
        ...
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import botocore.client
import pytest
from botocore.exceptions import ClientError


class Crash(BaseException):
    """The Lambda died here (timeout, out of memory, deploy): nothing after this line runs."""


@dataclass
class Rule:
    service: str
    operation: str
    code: str | None
    status: int
    message: str
    fields: dict[str, Any]  # the error shape's own members (e.g. End User Messaging's Reason)
    times: int | None  # None: every matching call
    after: int  # let this many matching calls through first
    when: Callable[[dict[str, Any]], bool] | None
    crash: bool
    before: bool  # crash: True before the call reaches AWS, False after AWS applied it
    seen: int = 0
    fired: int = 0

    def matches(self, service: str, operation: str, params: dict[str, Any]) -> bool:
        if service != self.service or self.operation not in ("*", operation):
            return False
        if self.when is not None and not self.when(params):
            return False
        self.seen += 1
        if self.seen <= self.after:
            return False
        return self.times is None or self.fired < self.times


@dataclass
class Faults:
    """Rules applied to every AWS call while installed; `calls` records (service, operation, params)."""

    rules: list[Rule] = field(default_factory=list)
    calls: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)

    def fail(
        self,
        service: str,
        operation: str,
        code: str | None = "ThrottlingException",
        *,
        status: int = 400,
        message: str = "injected",
        fields: dict[str, Any] | None = None,
        times: int | None = 1,
        after: int = 0,
        when: Callable[[dict[str, Any]], bool] | None = None,
    ) -> Rule:
        """Make matching calls raise the service's error (`operation="*"`: any of the service's).
        `fields` are the error shape's members beside Code and Message, which botocore puts at the
        top of the response (`{"Reason": "DESTINATION_PHONE_NUMBER_OPTED_OUT"}`). `code=None` mimics
        a body botocore could not parse (an HTML 502/503 from a proxy): botocore then reports the
        status as the code."""
        rule = Rule(
            service,
            operation,
            code,
            status,
            message,
            dict(fields or {}),
            times,
            after,
            when,
            crash=False,
            before=True,
        )
        self.rules.append(rule)
        return rule

    def crash(
        self,
        service: str,
        operation: str,
        *,
        before: bool = True,
        times: int | None = 1,
        after: int = 0,
        when: Callable[[dict[str, Any]], bool] | None = None,
    ) -> Rule:
        """Die at a matching call: before it reaches AWS, or (`before=False`) right after AWS applied
        it and before the caller saw the answer (the provider accepted, then the Lambda died)."""
        rule = Rule(service, operation, None, 0, "", {}, times, after, when, crash=True, before=before)
        self.rules.append(rule)
        return rule

    def clear(self) -> None:
        self.rules.clear()

    def count(self, service: str, operation: str) -> int:
        return sum(1 for s, o, _ in self.calls if s == service and o == operation)

    def _call(self, original: Callable[..., Any], client: Any, operation: str, params: dict[str, Any]) -> Any:
        service = client.meta.service_model.service_name
        self.calls.append((service, operation, params))
        for rule in self.rules:
            if rule.matches(service, operation, params):
                rule.fired += 1
                if rule.crash:
                    if not rule.before:
                        original(client, operation, params)
                    raise Crash(f"{service}.{operation}")
                code = rule.code if rule.code is not None else str(rule.status)
                response = {
                    "Error": {"Code": code, "Message": rule.message},
                    "ResponseMetadata": {"HTTPStatusCode": rule.status},
                    **rule.fields,
                }
                raise ClientError(response, operation)  # type: ignore[arg-type]
        return original(client, operation, params)


@pytest.fixture
def faults(monkeypatch: pytest.MonkeyPatch) -> Faults:
    """Inject AWS failures for the length of one test."""
    installed = Faults()
    original = botocore.client.BaseClient._make_api_call

    def patched(client: Any, operation: str, params: dict[str, Any]) -> Any:
        return installed._call(original, client, operation, params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", patched)
    return installed
