"""`make run`'s stack, started as a newcomer would, answers and stops cleanly."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from tests.conftest import ROOT


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _request(method: str, url: str, body: object = None, token: str | None = None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            raw = response.read()
            return response.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    port = _free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("HEARTH_", "AWS_", "POWERTOOLS_"))
    }
    env |= {
        "PORT": str(port),
        "HEARTH_ADMIN_TOKEN": "stack-admin-token",
        "HEARTH_OUTBOX_PATH": str(tmp_path_factory.mktemp("stack") / "outbox.jsonl"),
        "HEARTH_DEMO": "0",
    }
    process = subprocess.Popen(
        [sys.executable, "scripts/local_stack.py"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while True:
        try:
            if _request("GET", f"{base}/health")[0] == 200:
                break
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"local stack did not start:\n{process.stdout.read()}")
        time.sleep(0.3)
    yield base, process, port
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)


def test_stack_answers_health_and_openapi(stack):
    base, _, _ = stack

    assert _request("GET", f"{base}/health") == (200, {"status": "ok"})
    status, document = _request("GET", f"{base}/openapi.json")
    assert status == 200
    assert "/v1/admin/facilitators" in document["paths"]


def test_stack_admin_token_creates_a_facilitator_and_bad_tokens_are_refused(stack):
    base, _, _ = stack

    status, created = _request(
        "POST", f"{base}/v1/admin/facilitators", {"display_name": "Ann"}, "stack-admin-token"
    )
    assert status == 201
    assert created["token"].startswith("hf_")

    status, body = _request("POST", f"{base}/v1/admin/facilitators", {"display_name": "Ann"}, "wrong")
    assert (status, body["code"]) == (401, "unauthorized")
    status, body = _request("POST", f"{base}/v1/admin/facilitators", {"display_name": "Ann"})
    assert (status, body["code"]) == (401, "unauthorized")


def test_stack_validates_bodies(stack):
    base, _, _ = stack
    request = urllib.request.Request(
        f"{base}/v1/admin/facilitators",
        data=b"{oops",
        method="POST",
        headers={"Content-Type": "application/json", "Authorization": "Bearer stack-admin-token"},
    )
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(request, timeout=10)
    assert raised.value.code == 400

    status, body = _request(
        "POST", f"{base}/v1/admin/facilitators", {"display_name": "A", "extra": 1}, "stack-admin-token"
    )
    assert status == 422
    assert body["fields"] == {"extra": "Unknown field."}


def test_stack_inbound_sms_reply_reaches_the_outbox(stack):
    base, _, _ = stack

    status, replies = _request("POST", f"{base}/v1/dev/sms", {"from": "+16145550123", "body": "HELP"})
    assert status == 200
    status, outbox = _request("GET", f"{base}/v1/dev/outbox?to=%2B16145550123")
    assert [m["body"] for m in outbox["messages"]] == replies["replies"]


def test_the_runner_sends_a_reminder_when_its_sweep_reaches_the_due_minute(stack):
    """A session an hour away, a member going with a verified phone: one SMS when the minute comes."""
    import re
    from datetime import UTC, datetime, timedelta
    from urllib.parse import quote

    base, _, _ = stack
    _, facilitator = _request(
        "POST", f"{base}/v1/admin/facilitators", {"display_name": "Ann"}, "stack-admin-token"
    )
    fac = facilitator["token"]
    _, group = _request(
        "POST", f"{base}/v1/groups", {"name": "Stack Group", "topic": "test", "timezone": "UTC"}, fac
    )
    now = datetime.now(UTC)
    start = now.replace(second=0, microsecond=0) + timedelta(minutes=61 if now.second < 45 else 62)
    series_body = {
        "start_local": start.strftime("%Y-%m-%dT%H:%M"),
        "timezone": "UTC",
        "duration_minutes": 30,
        "rrule": "FREQ=DAILY;COUNT=2",
    }
    status, series = _request("POST", f"{base}/v1/groups/{group['group_id']}/series", series_body, fac)
    assert status == 201, series
    _, member = _request("POST", f"{base}/v1/join", {"code": group["invite"]["code"]})
    token = member["token"]
    phone = "+16145550177"
    _request("PUT", f"{base}/v1/me/contact", {"phone": phone}, token)
    _, sent = _request("GET", f"{base}/v1/dev/outbox?to={quote(phone)}")
    code = re.search(r"\d{6}", sent["messages"][-1]["body"]).group(0)
    assert _request("POST", f"{base}/v1/me/contact/verify", {"channel": "sms", "code": code}, token)[0] == 200
    reminders = {"channels": ["sms"], "lead_minutes": [60]}
    assert _request("PATCH", f"{base}/v1/me", {"reminders": reminders}, token)[0] == 200
    assert (
        _request("PUT", f"{base}/v1/sessions/{series['next_sessions'][0]['session_id']}/rsvp", None, token)[0]
        == 200
    )

    deadline = time.monotonic() + 150
    found: list[str] = []
    while time.monotonic() < deadline and not found:
        time.sleep(2)
        _, outbox = _request("GET", f"{base}/v1/dev/outbox?to={quote(phone)}")
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
