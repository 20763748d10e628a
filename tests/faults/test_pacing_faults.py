"""Reminders at the provider's pace: throttles are paced and retried within the reminder's
window (never dead-lettered while it is open), and a reminder that could only go after its
session starts is dropped and counted. Virtual clock, the simulated prod queue, SNS in moto."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.faults.botocore_faults import Faults
from tests.faults.sim_queue import SimQueue
from tests.faults.test_delivery_faults import DUE, PHONE, START, going, sweep_due, texts


@pytest.fixture
def paced_sns(hub, clock, monkeypatch):
    """The worker sends through the real choke point (pace, then SNS), on the test's clock."""
    from chalicelib.notify import pace
    from chalicelib.notify.senders import AwsSender, PacedSender
    from chalicelib.settings import reset_settings

    monkeypatch.setenv("HEARTH_SMS_MPS", "1")
    reset_settings()

    def sleep(seconds: float) -> None:
        clock.now += timedelta(seconds=seconds)

    pacer = pace.Pacer(clock=clock, sleep=sleep)
    hub.reminder_worker.outbound = lambda: PacedSender(AwsSender(), pacer)
    return pacer


@pytest.fixture
def counted(monkeypatch) -> list[str]:
    from chalicelib.services import reminder_sweep, reminder_worker

    names: list[str] = []
    real_count = reminder_worker.count
    for module in (reminder_sweep, reminder_worker):  # the sweep and the worker both count
        monkeypatch.setattr(
            module, "count", lambda name, *a, **k: (names.append(name), real_count(name, *a, **k))
        )
    return names


def run_until(clock, queue: SimQueue, until) -> None:
    """Deliver what is visible, a second at a time, until `until` or nothing is left."""
    while queue.pending() and clock.now < until:
        queue.drain()
        clock.now += timedelta(seconds=1)


def test_throttles_slow_the_pace_and_the_reminder_goes_within_its_window(
    api, world, hub, clock, queue, paced_sns, faults: Faults, counted
):
    going(api, world)
    sweep_due(hub, clock)
    faults.fail("sns", "Publish", code="Throttled", status=429, times=queue.max_receives + 2)

    run_until(clock, queue, START)

    assert [to for to, _ in texts()] == [PHONE]  # sent once, after the throttles
    assert faults.count("sns", "Publish") == queue.max_receives + 3
    assert queue.dead == []  # more throttles than SQS's receive limit, still never dead-lettered
    assert clock.now < DUE + timedelta(minutes=2)  # paced by seconds, not visibility timeouts
    assert counted.count("reminders_paced") == queue.max_receives + 2


def test_a_reminder_that_can_only_go_after_the_start_is_dropped_and_counted(
    api, world, hub, clock, queue, paced_sns, counted, captured_logs
):
    going(api, world)
    sweep_due(hub, clock)
    clock.now = START - timedelta(seconds=40)  # the queue was slow: 40 s left, the pace is full
    for second in range(int(clock.now.timestamp()), int(START.timestamp()) + 1):
        paced_sns.repository.fill("sms", second, 1)

    queue.drain()

    assert texts() == []
    assert queue.pending() == []
    assert queue.dead == []
    assert counted.count("RemindersDroppedLate") == 1
    assert "reminder dropped" in captured_logs.getvalue()
    assert PHONE not in captured_logs.getvalue()


def test_a_throttle_near_the_start_drops_the_reminder_instead_of_sending_it_late(
    api, world, hub, clock, queue, paced_sns, faults: Faults, counted
):
    going(api, world)
    sweep_due(hub, clock)
    clock.now = START - timedelta(seconds=31)
    faults.fail("sns", "Publish", code="Throttled", status=429, times=None)

    run_until(clock, queue, START + timedelta(minutes=5))

    assert texts() == []
    assert queue.dead == []
    assert counted.count("RemindersDroppedLate") == 1
