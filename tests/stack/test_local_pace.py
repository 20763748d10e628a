"""`make run` with HEARTH_SMS_MPS=2 sends a burst of reminders at that pace (the outbox's `sent_at`)."""

from __future__ import annotations

import re
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

from chalicelib.domain import sms_text
from tests.running_stack import ADMIN_TOKEN, request, running_stack

MEMBERS = 6


def test_a_burst_of_reminders_leaves_at_the_configured_pace(tmp_path):
    with running_stack(tmp_path / "outbox.jsonl", HEARTH_SMS_MPS="2") as stack:
        base = stack.base
        _, facilitator = request(
            "POST", f"{base}/v1/admin/facilitators", {"display_name": "Ann"}, ADMIN_TOKEN
        )
        fac = facilitator["token"]
        _, group = request(
            "POST", f"{base}/v1/groups", {"name": "Pace Group", "topic": "test", "timezone": "UTC"}, fac
        )
        phones = [f"+1614555{index:04d}" for index in range(300, 300 + MEMBERS)]
        tokens = []
        for phone in phones:
            _, member = request("POST", f"{base}/v1/join", {"code": group["invite"]["code"]})
            token = member["token"]
            request("PUT", f"{base}/v1/me/contact", {"phone": phone}, token)
            _, sent = request("GET", f"{base}/v1/dev/outbox?to={quote(phone)}")
            code = re.search(r"\d{6}", sent["messages"][-1]["body"]).group(0)
            assert (
                request("POST", f"{base}/v1/me/contact/verify", {"channel": "sms", "code": code}, token)[0]
                == 200
            )
            reminders = {"channels": ["sms"], "lead_minutes": [60]}
            assert request("PATCH", f"{base}/v1/me", {"reminders": reminders}, token)[0] == 200
            tokens.append(token)
        # The session is scheduled once everyone is set up, an hour and a minute or two ahead: its
        # reminders are due at the next minute the sweep runs that leaves time for the RSVPs
        # (they are swept at that minute, or planned at the one before and read again then).
        now = datetime.now(UTC)
        start = now.replace(second=0, microsecond=0) + timedelta(minutes=61 if now.second < 40 else 62)
        body = {
            "start_local": start.strftime("%Y-%m-%dT%H:%M"),
            "timezone": "UTC",
            "duration_minutes": 30,
            "rrule": "FREQ=DAILY;COUNT=2",
        }
        _, series = request("POST", f"{base}/v1/groups/{group['group_id']}/series", body, fac)
        session_id = series["next_sessions"][0]["session_id"]
        for token in tokens:
            assert request("PUT", f"{base}/v1/sessions/{session_id}/rsvp", None, token)[0] == 200

        deadline = time.monotonic() + 300
        found: list[dict] = []
        while time.monotonic() < deadline and len(found) < MEMBERS:
            time.sleep(1)
            _, outbox = request("GET", f"{base}/v1/dev/outbox")
            found = [m for m in outbox["messages"] if "Reminder" in m["body"]]

    assert len(found) == MEMBERS
    per_second: Counter = Counter()
    for message in found:
        per_second[message["sent_at"][:19]] += sms_text.parts(message["body"])
    assert max(per_second.values()) <= 2  # never over the rate, parts counted
    assert len(per_second) >= -(-sum(per_second.values()) // 2)  # so the burst spans seconds
