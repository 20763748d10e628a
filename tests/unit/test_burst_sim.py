"""The burst simulation `make bench` runs (scripts/burst_sim.py), small: the real sweep and worker
on a virtual clock send a burst at 40 MPS before its due time, and at a pace too slow for the
burst drop what has no turn before the start instead of sending it late."""

from __future__ import annotations

import pytest

from scripts import burst_sim


@pytest.fixture
def env(monkeypatch):
    from chalicelib.settings import reset_settings

    for name, value in (burst_sim.ENV | {"HEARTH_SMS_MPS": "1"}).items():
        monkeypatch.setenv(name, value)  # restored after the test, whatever simulate sets
    yield
    monkeypatch.undo()
    reset_settings()


def test_at_40_mps_every_reminder_goes_before_its_due_time_at_the_pace(env) -> None:
    figures = burst_sim.simulate(40, sessions=60)

    assert figures.reminders == 60 * 10 * 2
    assert figures.sent == figures.reminders
    assert figures.dropped_late == 0
    assert figures.latest <= 0  # every one by its due time
    assert figures.busiest_second_parts <= 40  # never over the carrier's rate
    assert figures.throttles == 0
    assert figures.busiest_writes <= 1000


def test_a_burst_too_large_for_the_pace_is_sent_in_due_order_and_the_rest_dropped_not_sent_late(env) -> None:
    figures = burst_sim.simulate(1, sessions=300)  # 6,000 one-part texts at a part a second

    assert figures.sent + figures.dropped_late == figures.reminders  # each sent or counted
    assert figures.dropped_late > 0
    assert figures.busiest_second_parts <= 1
    assert figures.latest_to_start <= -30  # whatever went, went before its session started
