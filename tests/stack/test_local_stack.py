"""`make run`'s stack, started as a newcomer would, answers and stops cleanly."""

from __future__ import annotations

import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request

import pytest

from tests.running_stack import ADMIN_TOKEN, request, running_stack


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    with running_stack(tmp_path_factory.mktemp("stack") / "outbox.jsonl") as running:
        yield running.base, running.process, running.port


def test_stack_answers_health_and_openapi(stack):
    base, _, _ = stack

    assert request("GET", f"{base}/health") == (200, {"status": "ok"})
    status, document = request("GET", f"{base}/openapi.json")
    assert status == 200
    assert "/v1/admin/facilitators" in document["paths"]


def test_stack_admin_token_creates_a_facilitator_and_bad_tokens_are_refused(stack):
    base, _, _ = stack

    status, created = request("POST", f"{base}/v1/admin/facilitators", {"display_name": "Ann"}, ADMIN_TOKEN)
    assert status == 201
    assert created["token"].startswith("hf_")

    status, body = request("POST", f"{base}/v1/admin/facilitators", {"display_name": "Ann"}, "wrong")
    assert (status, body["code"]) == (401, "unauthorized")
    status, body = request("POST", f"{base}/v1/admin/facilitators", {"display_name": "Ann"})
    assert (status, body["code"]) == (401, "unauthorized")


def test_stack_validates_bodies(stack):
    base, _, _ = stack
    malformed = urllib.request.Request(
        f"{base}/v1/admin/facilitators",
        data=b"{oops",
        method="POST",
        headers={"Content-Type": "application/json", "Authorization": "Bearer stack-admin-token"},
    )
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(malformed, timeout=10)
    assert raised.value.code == 400

    status, body = request(
        "POST", f"{base}/v1/admin/facilitators", {"display_name": "A", "extra": 1}, ADMIN_TOKEN
    )
    assert status == 422
    assert body["fields"] == {"extra": "Unknown field."}


def test_stack_inbound_sms_reply_reaches_the_outbox(stack):
    base, _, _ = stack

    status, replies = request("POST", f"{base}/v1/dev/sms", {"from": "+16145550123", "body": "HELP"})
    assert status == 200
    status, outbox = request("GET", f"{base}/v1/dev/outbox?to=%2B16145550123")
    assert [m["body"] for m in outbox["messages"]] == replies["replies"]


def test_the_runner_sends_a_reminder_when_its_sweep_reaches_the_due_minute(stack):
    """A session an hour away, a member going with a verified phone: one SMS when the minute comes."""
    import re
    from datetime import UTC, datetime, timedelta
    from urllib.parse import quote

    base, _, _ = stack
    _, facilitator = request("POST", f"{base}/v1/admin/facilitators", {"display_name": "Ann"}, ADMIN_TOKEN)
    fac = facilitator["token"]
    _, group = request(
        "POST", f"{base}/v1/groups", {"name": "Stack Group", "topic": "test", "timezone": "UTC"}, fac
    )
    now = datetime.now(UTC)
    start = now.replace(second=0, microsecond=0) + timedelta(minutes=62)  # due at least a minute from now
    series_body = {
        "start_local": start.strftime("%Y-%m-%dT%H:%M"),
        "timezone": "UTC",
        "duration_minutes": 30,
        "rrule": "FREQ=DAILY;COUNT=2",
    }
    status, series = request("POST", f"{base}/v1/groups/{group['group_id']}/series", series_body, fac)
    assert status == 201, series
    _, member = request("POST", f"{base}/v1/join", {"code": group["invite"]["code"]})
    token = member["token"]
    phone = "+16145550177"
    request("PUT", f"{base}/v1/me/contact", {"phone": phone}, token)
    _, sent = request("GET", f"{base}/v1/dev/outbox?to={quote(phone)}")
    code = re.search(r"\d{6}", sent["messages"][-1]["body"]).group(0)
    assert request("POST", f"{base}/v1/me/contact/verify", {"channel": "sms", "code": code}, token)[0] == 200
    reminders = {"channels": ["sms"], "lead_minutes": [60]}
    assert request("PATCH", f"{base}/v1/me", {"reminders": reminders}, token)[0] == 200
    assert (
        request("PUT", f"{base}/v1/sessions/{series['next_sessions'][0]['session_id']}/rsvp", None, token)[0]
        == 200
    )

    deadline = time.monotonic() + 210
    found: list[str] = []
    while time.monotonic() < deadline and not found:
        time.sleep(2)
        _, outbox = request("GET", f"{base}/v1/dev/outbox?to={quote(phone)}")
        found = [m["body"] for m in outbox["messages"] if "Reminder" in m["body"]]
    assert len(found) == 1, "no reminder reached the outbox"
    assert "(in 1 hour)" in found[0]


def test_sigterm_stops_every_process(stack):
    _, process, port = stack

    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 0
    with pytest.raises(ConnectionRefusedError), socket.create_connection(("127.0.0.1", port), timeout=1):
        pass
    leftover = subprocess.run(["pgrep", "-g", str(process.pid)], capture_output=True, text=True)
    assert leftover.stdout.strip() == ""
