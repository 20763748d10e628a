"""Logs never carry contact details, whatever code passes to them."""

from __future__ import annotations

import json
import logging

import pytest

from chalicelib import observability


@pytest.mark.parametrize(
    "text",
    [
        "call +16145550123 now",
        "call (614) 555-0123 now",
        "call 614-555-0123 now",
        "call 6145550123 now",
        "mail dana.smith+x@example.org now",
    ],
)
def test_redact_masks_phones_and_emails(text):
    redacted = observability.redact(text)

    assert "555" not in redacted
    assert "example.org" not in redacted
    assert redacted.startswith(text.split()[0])


def test_redact_keeps_dates_ids_and_numbers():
    text = "session 2026-12-01 19:00 ses_abcd1234 took 1234 ms"

    assert observability.redact(text) == text


def test_redacting_formatter_masks_message_extras_and_exceptions(captured_logs):
    log = observability.logger()

    log.info("sent to +16145550123", extra={"contact": "d@example.org", "count": 3})
    try:
        raise ValueError("bad number 614 555 0123")
    except ValueError:
        log.exception("failed")

    lines = [json.loads(line) for line in captured_logs.getvalue().splitlines()]
    text = captured_logs.getvalue()
    assert "5550123" not in text
    assert "555 0123" not in text
    assert "example.org" not in text
    assert lines[0]["count"] == 3
    assert lines[0]["contact"] == "[email]"
    assert lines[1]["level"] == logging.getLevelName(logging.ERROR)
