"""Domain errors map to the contract's statuses and bodies in one place."""

from __future__ import annotations

import pytest

from chalicelib import errors


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (errors.BadRequestError(), 400, "bad_request"),
        (errors.UnauthorizedError(), 401, "unauthorized"),
        (errors.ForbiddenError(), 403, "forbidden"),
        (errors.NotFoundError(), 404, "not_found"),
        (errors.ConflictError(code="handle_taken"), 409, "handle_taken"),
        (errors.GoneError(), 410, "gone"),
        (errors.PayloadTooLargeError(), 413, "payload_too_large"),
        (errors.ValidationError({"x": "bad"}), 422, "invalid"),
        (errors.TooEarlyError(), 425, "too_early"),
        (errors.RateLimitedError(30), 429, "rate_limited"),
        (errors.DependencyError(), 503, "unavailable"),
        (errors.ConfigurationError(), 500, "configuration_error"),
    ],
)
def test_each_error_has_its_status_and_code(error, status, code):
    got_status, _headers, body = errors.to_http(error)

    assert got_status == status
    assert body["code"] == code
    assert isinstance(body["message"], str)
    assert body["message"]


def test_validation_error_carries_fields():
    _status, _headers, body = errors.to_http(errors.ValidationError({"timezone": "Unknown time zone."}))

    assert body == {
        "code": "invalid",
        "message": "Some fields are invalid.",
        "fields": {"timezone": "Unknown time zone."},
    }


def test_rate_limited_error_sets_retry_after_of_at_least_one_second():
    assert errors.to_http(errors.RateLimitedError(42))[1] == {"Retry-After": "42"}
    assert errors.to_http(errors.RateLimitedError(0))[1] == {"Retry-After": "1"}


def test_unauthorized_names_the_bearer_scheme():
    assert errors.to_http(errors.UnauthorizedError())[1]["WWW-Authenticate"].startswith("Bearer")


def test_framework_errors_are_rewritten_to_contract_codes_and_5xx_detail_hidden():
    assert errors.framework_error_body(415, "Unsupported media type: text/plain") == {
        "code": "unsupported_media_type",
        "message": "Unsupported media type: text/plain",
    }
    assert errors.framework_error_body(500, "Traceback ...") == {
        "code": "internal_error",
        "message": "Something went wrong on our side.",
    }
