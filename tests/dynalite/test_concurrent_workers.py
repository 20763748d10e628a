"""Workers racing on the same reminder send it once (the ledger claim, on dynalite)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest

pytestmark = pytest.mark.dynalite


class CountingSender:
    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []
        self.lock = threading.Lock()

    def sms(self, to: str, body: str) -> None:
        with self.lock:
            self.sent.append((to, body))

    def email(self, *args, **kwargs) -> None:
        raise AssertionError("no email expected")


def test_twenty_workers_handling_one_reminder_send_it_once(dynalite):
    from chalicelib import crypto
    from chalicelib.domain import preferences
    from chalicelib.services.reminder_jobs import Job
    from chalicelib.services.reminder_worker import ReminderWorker
    from chalicelib.store import keys
    from chalicelib.store.members import MemberItem
    from chalicelib.store.reminders import ClaimHeldError
    from chalicelib.store.sessions import SessionItem

    start = datetime(2026, 12, 2, 0, 0, tzinfo=UTC)
    session_id = "ser_race.20261202T0000Z"
    member_key = keys.member("grp_race", "mem_race")
    MemberItem(
        member_key.pk,
        member_key.sk,
        group_id="grp_race",
        member_id="mem_race",
        handle="Race",
        handle_key="race",
        timezone="America/New_York",
        token_hash="t",
        feed_hash="f",
        feed_enc=b"x",
        reminders=preferences.ReminderPreferences(("sms",), (60,)).to_dict(),
        phone_enc=crypto.seal("phone", "+16145550123"),
        phone_status="verified",
    ).save()
    session_key = keys.occurrence("ser_race", "20261202T0000Z")
    SessionItem(
        session_key.pk,
        session_key.sk,
        series_id="ser_race",
        group_id="grp_race",
        session_id=session_id,
        original_start=start,
        start=start,
        status="scheduled",
        going={"mem_race"},
    ).save()
    outbound = CountingSender()
    worker = ReminderWorker(
        queue=None, outbound=lambda: outbound, clock=lambda: datetime(2026, 12, 1, 23, tzinfo=UTC)
    )
    job = Job(
        kind="reminder",
        member_id="mem_race",
        group_id="grp_race",
        subject=session_id,
        start="2026-12-02T00:00:00Z",
        label="your session",
        channel="sms",
        lead=60,
    )

    def handle(_index: int) -> str:
        try:
            return worker.handle(job)
        except ClaimHeldError:  # the winner is still sending: this copy comes back later
            return "retry_later"

    with ThreadPoolExecutor(max_workers=20) as pool:
        outcomes = list(pool.map(handle, range(20)))

    assert outcomes.count("sent") == 1
    assert set(outcomes) - {"sent"} <= {"skipped:duplicate", "retry_later"}
    assert [worker.handle(job) for _ in range(3)] == ["skipped:duplicate"] * 3  # the retries
    assert len(outbound.sent) == 1
    assert outbound.sent[0][0] == "+16145550123"
