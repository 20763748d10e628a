"""The shared sending pace, on a virtual clock: no second over the rate, parts counted,
priority, the deadline, and throttles slowing every sender."""

from __future__ import annotations

import itertools
import math
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.domain import sms_text
from chalicelib.notify import pace
from chalicelib.notify.senders import PacedLaterError, PacedSender, TooLateError, TransientSendError
from scripts.burst_sim import Clock as VirtualClock

T0 = datetime(2026, 12, 1, 23, 0, 0, 250000, tzinfo=UTC)
SHORT = "Hearth: your group meets at 7:00 PM. Open it: https://hearth.example/g/abc"
LONG = "Hearth: " + "a" * 200  # two GSM-7 parts


class Provider:
    """Records what was sent and when; refuses (Throttled) while `refuse` is above zero."""

    def __init__(self, clock: VirtualClock) -> None:
        self.clock = clock
        self.sent: list[tuple[datetime, int, str]] = []
        self.refuse = 0

    def sms(self, to: str, body: str) -> None:
        if self.refuse:
            self.refuse -= 1
            raise TransientSendError("Throttled")
        self.sent.append((self.clock(), sms_text.parts(body), to))

    def email(self, to, subject, text, html=None, headers=None) -> None:
        self.sent.append((self.clock(), 1, to))


def per_second(sent: list[tuple[datetime, int, str]]) -> Counter:
    used: Counter = Counter()
    for at, parts, _to in sent:
        used[math.floor(at.timestamp())] += parts
    return used


@pytest.fixture
def rate(monkeypatch):
    from chalicelib.settings import reset_settings

    def set_rate(mps: int) -> None:
        monkeypatch.setenv("HEARTH_SMS_MPS", str(mps))
        monkeypatch.setenv("HEARTH_EMAIL_PER_SECOND", str(mps))
        reset_settings()

    return set_rate


@pytest.fixture
def clock(emulated_aws) -> VirtualClock:
    return VirtualClock(T0)


def paced(clock: VirtualClock, provider: Provider) -> PacedSender:
    """One worker: its own pacer (and memory of full seconds), the shared table."""
    return PacedSender(provider, pace.Pacer(clock=clock, sleep=clock.sleep))


def test_parts_count_gsm7_and_ucs2() -> None:
    assert sms_text.parts("a" * 160) == 1
    assert sms_text.parts("a" * 161) == 2
    assert sms_text.parts("{" * 80) == 1  # extended characters take two septets
    assert sms_text.parts("{" * 81) == 2
    assert sms_text.parts("é" + "ł" * 69) == 1  # outside GSM-7: UCS-2, 70 to a part
    assert sms_text.parts("ł" * 71) == 2
    assert sms_text.parts("ł" * 135) == 3  # 67 a part when split


def test_no_second_carries_more_parts_than_the_rate_across_workers(clock, rate) -> None:
    rate(3)
    provider = Provider(clock)
    workers = [paced(clock, provider) for _ in range(4)]
    bodies = [SHORT, LONG, SHORT, "Hearth: ł" + "ł" * 80]  # 1, 2, 1 and 2 (UCS-2) parts
    with pace.sending(pace.REMINDER):
        for index in range(40):
            workers[index % 4].sms(f"+1614555{index:04d}", bodies[index % 4])
    assert len(provider.sent) == 40
    used = per_second(provider.sent)
    assert max(used.values()) <= 3
    assert sum(used.values()) == 10 * (1 + 2 + 1 + 2)
    # reminders leave every fifth second free below 10 MPS, and otherwise use the whole rate
    assert all(second % 5 != 0 for second in used)
    span = max(used) - min(used) + 1
    assert span <= math.ceil(60 / 3 * 5 / 4) + 1


def test_a_text_longer_than_a_second_spans_seconds(clock, rate) -> None:
    rate(1)
    provider = Provider(clock)
    sender = paced(clock, provider)
    with pace.sending(pace.INTERACTIVE):
        sender.sms("+16145550100", LONG)
        sender.sms("+16145550101", SHORT)
    first, second = provider.sent
    assert (second[0] - first[0]) >= timedelta(seconds=1)
    assert max(per_second(provider.sent).values()) <= 2


def test_codes_and_replies_go_ahead_of_reminders_then_notices(clock, rate) -> None:
    rate(10)
    provider = Provider(clock)
    sender = paced(clock, provider)
    second = math.floor(T0.timestamp())
    with pace.sending(pace.NOTICE):
        for index in range(8):
            sender.sms(f"+1614555{index:04d}", SHORT)
    with pace.sending(pace.REMINDER):
        sender.sms("+16145550200", SHORT)
        sender.sms("+16145550201", SHORT)  # the tenth part of this second is not a reminder's
    clock.now = T0  # a code asked for at the same instant, from another worker
    with pace.sending(pace.INTERACTIVE):
        paced(clock, provider).sms("+16145550300", SHORT)
    by_to = {to: math.floor(at.timestamp()) for at, _parts, to in provider.sent}
    assert by_to["+16145550200"] == second  # a reminder takes what notices leave
    assert by_to["+16145550201"] == second + 1
    assert by_to["+16145550300"] == second  # the code fills the reserve, not waiting behind them
    assert per_second(provider.sent)[second] == 10


def test_at_one_part_per_second_every_fifth_second_is_kept_for_codes(clock, rate) -> None:
    rate(1)
    provider = Provider(clock)
    sender = paced(clock, provider)
    with pace.sending(pace.REMINDER):
        for index in range(8):
            sender.sms(f"+1614555{index:04d}", SHORT)
    reminder_seconds = {math.floor(at.timestamp()) for at, _p, _to in provider.sent}
    assert all(second % 5 != 0 for second in reminder_seconds)
    free = min(s for s in range(min(reminder_seconds), max(reminder_seconds)) if s % 5 == 0)
    clock.now = datetime.fromtimestamp(free, UTC)
    with pace.sending(pace.INTERACTIVE):
        sender.sms("+16145550300", SHORT)
    assert math.floor(provider.sent[-1][0].timestamp()) == free


def test_a_message_without_a_turn_before_its_deadline_is_refused_not_sent(clock, rate) -> None:
    rate(1)
    provider = Provider(clock)
    sender = paced(clock, provider)
    deadline = T0 + timedelta(seconds=3)

    def send_until_refused() -> int:
        with pace.sending(pace.REMINDER, deadline=deadline):
            for index in range(10):
                try:
                    sender.sms(f"+1614555{index:04d}", SHORT)
                except TooLateError:
                    return index
        return 10

    sent = send_until_refused()
    assert 2 <= sent < 10
    assert sent == len(provider.sent)
    assert all(at <= T0 + timedelta(seconds=3) for at, _p, _to in provider.sent)


def test_a_full_pace_asks_for_a_later_turn_instead_of_waiting_long(clock, rate) -> None:
    rate(1)
    provider = Provider(clock)
    busy = pace.Pacer(clock=clock, sleep=lambda _s: None)  # another worker books ahead
    for _ in range(pace.MAX_WAIT[pace.REMINDER] + 1):
        busy.wait_turn("sms", 1, 1, pace.Pacing(pace.INTERACTIVE))
    with pace.sending(pace.REMINDER), pytest.raises(PacedLaterError) as refused:
        paced(clock, provider).sms("+16145550100", SHORT)
    assert refused.value.retry_at > T0 + timedelta(seconds=pace.MAX_WAIT[pace.REMINDER])
    assert provider.sent == []


def test_a_throttle_takes_the_next_second_from_every_sender(clock, rate) -> None:
    rate(2)
    provider = Provider(clock)
    one, other = paced(clock, provider), paced(clock, provider)
    provider.refuse = 1
    with pace.sending(pace.INTERACTIVE):
        with pytest.raises(PacedLaterError) as throttled:
            one.sms("+16145550100", SHORT)
        next_second = math.floor(T0.timestamp()) + 1
        assert throttled.value.retry_at == datetime.fromtimestamp(next_second + 1, UTC)
        clock.now = datetime.fromtimestamp(next_second, UTC)
        other.sms("+16145550101", SHORT)
    assert math.floor(provider.sent[0][0].timestamp()) == next_second + 1


def test_the_sweep_plans_a_burst_to_start_early_enough_to_end_by_its_due_time(rate) -> None:
    from chalicelib.services.reminder_jobs import Job
    from chalicelib.services.reminder_sweep import PLANNED_PARTS, REMINDER_SHARE, _planned

    rate(3)
    start = T0.replace(microsecond=0) + timedelta(hours=1)
    jobs = [
        Job("reminder", f"m{index}", "g", "s", start.strftime("%Y-%m-%dT%H:%M:%SZ"), "x", "sms", 60)
        for index in range(30)
    ]
    now = T0.replace(microsecond=0) - timedelta(minutes=15)  # the sweep looks 15 minutes ahead
    planned, _until, late = _planned(jobs, now)
    assert late == []
    delays = sorted(delay for delay, batch in planned.items() for _job in batch)
    one = PLANNED_PARTS / (3 * REMINDER_SHARE)  # seconds one reminder takes at the pace
    assert len(delays) == 30
    assert 900 - one - 1 <= delays[-1] <= 900 - one  # the last goes out by its due time
    assert delays[0] <= 900 - 30 * one + 1  # the first early enough for all to fit
    assert delays[0] >= 900 - 30 * one - 1  # and no earlier than that


def test_a_turn_beyond_the_queue_delay_is_kept_on_the_job(rate) -> None:
    from chalicelib.services.reminder_jobs import MAX_DELAY_SECONDS, Job
    from chalicelib.services.reminder_sweep import _planned

    rate(1)
    start = T0.replace(microsecond=0) + timedelta(hours=1)
    job = Job("reminder", "m", "g", "s", start.strftime("%Y-%m-%dT%H:%M:%SZ"), "x", "sms", 60)
    planned, _until, _late = _planned([job], T0 - timedelta(minutes=30))  # its turn is half an hour away
    (delay,) = planned  # one hop of about the queue's longest delay, ending a turn's length early
    assert MAX_DELAY_SECONDS - 5 <= delay <= MAX_DELAY_SECONDS
    (held,) = planned[delay]
    assert held.not_before is not None  # the worker holds it back again until its turn
    assert T0 - timedelta(seconds=5) <= datetime.fromisoformat(held.not_before) <= T0


def test_a_burst_larger_than_the_time_left_is_packed_from_now_and_the_rest_not_queued(rate) -> None:
    from chalicelib.services.reminder_jobs import DELIVERY_MARGIN, Job
    from chalicelib.services.reminder_sweep import PLANNED_PARTS, REMINDER_SHARE, _planned

    rate(1)
    start = T0.replace(microsecond=0) + timedelta(minutes=10)
    due = start - timedelta(minutes=5)
    jobs = [
        Job("reminder", f"m{index:03d}", "g", "s", start.strftime("%Y-%m-%dT%H:%M:%SZ"), "x", "sms", 5)
        for index in range(300)
    ]
    now = due - timedelta(minutes=1)  # a minute before the due time, 300 texts at under a part a second
    planned, until, late = _planned(jobs, now, after={"sms": now + timedelta(seconds=30)})
    step = PLANNED_PARTS / REMINDER_SHARE
    fit = int((start - DELIVERY_MARGIN - (now + timedelta(seconds=30))).total_seconds() // step)
    delays = sorted(delay for delay, batch in planned.items() for _job in batch)
    assert len(delays) in (fit, fit + 1)  # what fits before the start, at the pace
    assert len(late) == 300 - len(delays)  # the rest is dropped now, never sent late
    assert delays[0] >= 30  # after what earlier runs planned
    assert all(b - a >= int(step) - 1 for a, b in itertools.pairwise(delays))  # at the pace
    assert until["sms"] <= start - DELIVERY_MARGIN
