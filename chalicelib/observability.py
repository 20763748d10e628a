"""Logs, metrics, traces and response hardening, wired as Chalice middleware.

Powertools objects are built on first use from settings. Every log line passes
through a formatter that masks anything shaped like an email address or a phone
number, as a last line of defence: code logs structured keys and never contact
details. The X-Ray SDK is imported only when tracing is on.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter
from aws_lambda_powertools.metrics import MetricUnit, single_metric

from chalicelib.errors import framework_error_body
from chalicelib.settings import get_settings

if TYPE_CHECKING:
    from aws_lambda_powertools.logging.types import LogRecord

SERVICE = "hearth"

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"(?<![\w+])(?!\d{4}-\d\d-\d\d)\+?\d(?:[\s().-]{0,2}\d){9,14}(?!\w)")
# Keys the formatter itself writes; never user data, and timestamps look like numbers.
_TRUSTED_KEYS = frozenset({"timestamp", "level", "location", "service", "xray_trace_id", "sampling_rate"})

SECURITY_HEADERS = {
    "Strict-Transport-Security": "max-age=63072000; includeSubDomains",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    "Cache-Control": "no-store",
}


def redact(value: Any) -> Any:
    """`value` with every email address and phone-shaped number masked."""
    if isinstance(value, str):
        return _PHONE.sub("[phone]", _EMAIL.sub("[email]", value))
    if isinstance(value, dict):
        return {key: redact(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [redact(item) for item in value]
    if value is None or isinstance(value, bool | int | float):
        return value
    return redact(str(value))  # exceptions and other objects are logged by their text


class RedactingFormatter(LambdaPowertoolsFormatter):
    def serialize(self, log: LogRecord) -> str:
        return super().serialize(
            {key: value if key in _TRUSTED_KEYS else redact(value) for key, value in log.items()}
        )


@cache
def logger() -> Logger:
    settings = get_settings()
    return Logger(service=SERVICE, level=settings.log_level, logger_formatter=RedactingFormatter())


@cache
def metrics() -> Metrics:
    settings = get_settings()
    return Metrics(namespace=settings.metrics_namespace, service=SERVICE)


@cache
def tracer() -> Any:
    if not get_settings().tracing_enabled:
        return None
    try:
        import aws_xray_sdk  # noqa: F401  (Powertools' Tracer needs it; it is an optional extra)
    except ImportError:
        # A package without the SDK still gets Lambda's own traces (Tracing: Active); it must not
        # fail every request over subsegments.
        logger().warning("tracing is on but aws-xray-sdk is not installed: no subsegments")
        return None
    from aws_lambda_powertools import Tracer  # pulls in the X-Ray SDK

    return Tracer(service=SERVICE)


def count(name: str, value: float = 1, **dimensions: str) -> None:
    """Add to a metric; with dimensions it is published at once as its own record."""
    if not dimensions:
        metrics().add_metric(name=name, unit=MetricUnit.Count, value=value)
        return
    namespace = get_settings().metrics_namespace
    with single_metric(name=name, unit=MetricUnit.Count, value=value, namespace=namespace) as metric:
        for key, dimension in dimensions.items():
            metric.add_dimension(name=key, value=dimension)


def flush_metrics() -> None:
    metric_set = metrics()
    if metric_set.metric_set:
        metric_set.flush_metrics()


def log_unexpected(method: str, route: str) -> None:
    logger().exception("unhandled error", extra={"method": method, "route": route})


def all_events_middleware(event: Any, get_response: Callable[[Any], Any]) -> Any:
    """Every invocation: Lambda context in the logs, metrics flushed at the end."""
    log = logger()
    context = getattr(event, "context", None) or {}
    lambda_context = getattr(event, "lambda_context", None)
    if lambda_context is not None:
        log.append_keys(function_name=getattr(lambda_context, "function_name", None))
    if isinstance(context, dict) and context.get("requestId"):
        log.append_keys(correlation_id=context["requestId"])
    try:
        return get_response(event)
    finally:
        flush_metrics()
        log.remove_keys(["correlation_id"])


def http_middleware(event: Any, get_response: Callable[[Any], Any]) -> Any:
    """Every HTTP request: one access log line, contract error bodies, security headers."""
    started = time.perf_counter()
    route = (getattr(event, "context", None) or {}).get("resourcePath", "unknown")
    traced = tracer()
    if traced is not None:
        with traced.provider.in_subsegment(f"## {event.method} {route}") as segment:
            segment.put_annotation(key="route", value=route)
            response = get_response(event)
    else:
        response = get_response(event)
    if response.status_code >= 400 and isinstance(response.body, dict) and "Code" in response.body:
        response.body = framework_error_body(response.status_code, str(response.body.get("Message")))
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    logger().info(
        "request",
        extra={
            "method": event.method,
            "route": route,
            "status": response.status_code,
            "duration_ms": round((time.perf_counter() - started) * 1000, 1),
        },
    )
    return response
