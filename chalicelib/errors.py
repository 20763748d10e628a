"""Domain errors and the one place that maps them to the HTTP contract.

Services and adapters raise these; `to_http` turns any of them into the status,
headers and ``{"code", "message"}`` body that API.md promises. Nothing matches on
message text, and nothing else in Hearth decides an error's status.
"""

from __future__ import annotations

from typing import Any


class HearthError(Exception):
    """Base of every error Hearth raises on purpose."""

    status = 500
    code = "internal_error"
    default_message = "Something went wrong on our side."

    def __init__(self, message: str | None = None, *, code: str | None = None) -> None:
        super().__init__(message or self.default_message)
        self.message = message or self.default_message
        if code:
            self.code = code

    def headers(self) -> dict[str, str]:
        return {}

    def body(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message}


class BadRequestError(HearthError):
    status = 400
    code = "bad_request"
    default_message = "The request could not be read."


class UnauthorizedError(HearthError):
    status = 401
    code = "unauthorized"
    default_message = "A valid bearer token is required."

    def headers(self) -> dict[str, str]:
        return {"WWW-Authenticate": 'Bearer realm="hearth"'}


class ForbiddenError(HearthError):
    status = 403
    code = "forbidden"
    default_message = "You are not allowed to do this."


class NotFoundError(HearthError):
    status = 404
    code = "not_found"
    default_message = "Not found."


class ConflictError(HearthError):
    status = 409
    code = "conflict"
    default_message = "This conflicts with the current state."


class GoneError(HearthError):
    status = 410
    code = "gone"
    default_message = "This is no longer available."


class PayloadTooLargeError(HearthError):
    status = 413
    code = "payload_too_large"
    default_message = "The request body is too large."


class ValidationError(HearthError):
    status = 422
    code = "invalid"
    default_message = "Some fields are invalid."

    def __init__(self, fields: dict[str, str], message: str | None = None) -> None:
        super().__init__(message)
        self.fields = fields

    def body(self) -> dict[str, Any]:
        return {**super().body(), "fields": self.fields}


class TooEarlyError(HearthError):
    status = 425
    code = "too_early"
    default_message = "This is not available yet."


class RateLimitedError(HearthError):
    status = 429
    code = "rate_limited"
    default_message = "Too many requests; try again later."

    def __init__(self, retry_after_seconds: int, message: str | None = None) -> None:
        super().__init__(message)
        self.retry_after_seconds = max(1, int(retry_after_seconds))

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after_seconds)}


class ConfigurationError(HearthError):
    """Hearth is deployed with missing or malformed configuration (never the caller's fault)."""

    code = "configuration_error"
    default_message = "The service is misconfigured."

    def body(self) -> dict[str, Any]:
        """The cause is for the logs (`self.message`); the caller learns only that it is ours."""
        return {"code": self.code, "message": HearthError.default_message}


class DependencyError(HearthError):
    """An AWS dependency failed in a way the caller cannot fix; retrying may help."""

    status = 503
    code = "unavailable"
    default_message = "The service is temporarily unavailable."


INTERNAL = HearthError()


def _dependency_failures() -> tuple[type[BaseException], ...]:
    from botocore.exceptions import BotoCoreError, ClientError
    from pynamodb.exceptions import PynamoDBException

    return (ClientError, BotoCoreError, PynamoDBException)


# The AWS libraries' own failures: a request that meets one answers 503, never 500.
DEPENDENCY_FAILURES = _dependency_failures()

# Chalice answers some requests itself (unknown method, media type, crashes) with
# `{"Code": ..., "Message": ...}`; these are the contract codes for its statuses.
_FRAMEWORK_CODES = {
    400: "bad_request",
    404: "not_found",
    405: "method_not_allowed",
    415: "unsupported_media_type",
    500: "internal_error",
}


def to_http(exc: HearthError) -> tuple[int, dict[str, str], dict[str, Any]]:
    """The status, extra headers and JSON body for a Hearth error."""
    return exc.status, exc.headers(), exc.body()


def framework_error_body(status: int, message: str) -> dict[str, Any]:
    """The contract body for an error the web framework produced on its own."""
    if status >= 500:
        message = INTERNAL.message
    return {"code": _FRAMEWORK_CODES.get(status, "error"), "message": message}
