"""The local outbox records what would have been sent."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from chalicelib.notify.outbox import Outbox
from chalicelib.notify.senders import OutboxSender


def test_outbox_records_filters_and_clears(tmp_path):
    outbox = Outbox(tmp_path / "outbox.jsonl")
    sender = OutboxSender(outbox)

    sender.sms("+16145550123", "Reminder")
    sender.email("d@example.org", "Your session", "Text body", html="<p>Text body</p>")

    assert [m["channel"] for m in outbox.messages()] == ["sms", "email"]
    only_email = outbox.messages(to="d@example.org")
    assert len(only_email) == 1
    assert only_email[0]["subject"] == "Your session"
    assert only_email[0]["sent_at"].endswith("Z")
    outbox.clear()
    assert outbox.messages() == []


def test_missing_outbox_reads_as_empty(tmp_path):
    assert Outbox(tmp_path / "nothing" / "outbox.jsonl").messages() == []


def test_concurrent_appends_are_all_kept_whole(tmp_path):
    outbox = Outbox(tmp_path / "outbox.jsonl")

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(
            pool.map(lambda i: outbox.append("sms", "+16145550123", f"message {i} " + "x" * 500), range(200))
        )

    bodies = {m["body"].split()[1] for m in outbox.messages()}
    assert bodies == {str(i) for i in range(200)}
