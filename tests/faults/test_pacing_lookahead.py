"""The sweep's look-ahead on a virtual clock: sized from the burst's parts and the pace, and a
member who RSVPs after their reminder was planned still gets it, before the start.

The sweep runs every minute and the simulated prod queue delivers every second; sends go
through the real pace to a provider that records when each text went."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.faults.test_delivery_faults import DUE, PHONE, START, going
from tests.faults.test_pacing_faults import counted  # noqa: F401
from tests.integration.test_pace import Provider, per_second
from tests.integration.test_reminders import verified_member

OTHER = "+16145550177"


@pytest.fixture
def provider(hub, clock, monkeypatch) -> Provider:
    """The worker sends through the shared pace (1 part a second) to a recording provider."""
    from chalicelib.notify import pace
    from chalicelib.notify.senders import PacedSender
    from chalicelib.settings import reset_settings

    monkeypatch.setenv("HEARTH_SMS_MPS", "1")
    reset_settings()

    def sleep(seconds: float) -> None:
        clock.now += timedelta(seconds=seconds)

    recording = Provider(clock)
    pacer = pace.Pacer(clock=clock, sleep=sleep)
    hub.reminder_worker.outbound = lambda: PacedSender(recording, pacer)
    recording.pacer = pacer
    return recording


def crowd(session_id: str, size: int) -> None:
    """`size` more ids going to the session, with no membership behind them (members who left):
    the sweep counts them into the burst, the worker finds nobody to send to. The series' seat
    limit is lifted, so members still RSVP as going."""
    from chalicelib.domain import recurrence
    from chalicelib.store import keys
    from chalicelib.store.sessions import SeriesItem, SessionItem
    from chalicelib.store.tables import bind

    bind()
    series_id, original = recurrence.parse_session_id(session_id)
    series = keys.series(series_id)
    SeriesItem(series.pk, series.sk).update(actions=[SeriesItem.capacity.remove()])
    key = keys.occurrence(series_id, f"{original:%Y%m%dT%H%MZ}")
    SessionItem(key.pk, key.sk).update(
        actions=[SessionItem.going.add({f"left{index:04d}" for index in range(size)})]
    )


def texting(api, world, phone: str) -> dict:
    """A member going, reminded by text only (no email to verify)."""
    member = verified_member(
        api, world["group_here"]["invite"]["code"], phone=phone, email=None, lead_minutes=[60]
    )
    rsvp = api.call("PUT", f"/v1/sessions/{world['session_here']}/rsvp", token=member["token"])
    assert rsvp.json["status"] == "going"
    return member


def run(hub, clock, queue, until, rsvp=None) -> None:
    """Until `until`: the sweep at each whole minute, the queue every second; `rsvp` (at, call)
    happens at its instant."""
    while clock.now < until:
        if rsvp is not None and clock.now >= rsvp[0]:
            rsvp[1]()
            rsvp = None
        if clock.now.second == 0:
            hub.reminder_sweep.run()
        queue.drain()
        clock.now = clock.now.replace(microsecond=0) + timedelta(seconds=1)


def first_queued(hub, clock, due) -> object:
    """The first whole minute at which the sweep's watermark passes `due`."""
    from chalicelib.store.reminders import ReminderStateRepository

    state = ReminderStateRepository()
    while clock.now < due:
        hub.reminder_sweep.run()
        if state.get().watermark > due:
            return clock.now
        clock.now += timedelta(minutes=1)
    return None


LONG_LABEL = "Weekly evening check-in"  # a text of two parts, where "your session" takes one


def reminder_parts(world, label: str | None) -> int:
    """What a reminder text for the test's session takes, at most, in any zone."""
    from chalicelib.domain import templates
    from chalicelib.services.reminder_jobs import group_link
    from chalicelib.settings import get_settings

    group_id = world["group_here"]["group_id"]
    return templates.reminder_parts(
        label=label or "your session",
        start=START,
        link=group_link(get_settings().public_base_url, group_id),
        lead=60,
        tz=None,
        early=60,
    )


@pytest.mark.parametrize(
    ("crowded", "mps", "label", "parts", "expected"),
    [
        (100, 1, None, 1, DUE.replace(minute=56) - timedelta(hours=1)),
        (700, 1, None, 1, DUE.replace(minute=43) - timedelta(hours=1)),
        (700, 4, None, 1, DUE.replace(minute=55) - timedelta(hours=1)),
        (100, 1, LONG_LABEL, 2, DUE.replace(minute=54) - timedelta(hours=1)),
        (700, 1, LONG_LABEL, 2, DUE.replace(minute=27) - timedelta(hours=1)),
    ],
)
def test_the_look_ahead_is_sized_from_the_burst_its_texts_parts_and_the_pace(
    api, world, hub, clock, queue, monkeypatch, crowded, mps, label, parts, expected
) -> None:
    from chalicelib.services.reminder_sweep import QUEUE_MARGIN, REMINDER_SHARE
    from chalicelib.settings import reset_settings

    monkeypatch.setenv("HEARTH_SMS_MPS", str(mps))
    reset_settings()
    if label is not None:
        changed = api.call(
            "PATCH",
            f"/v1/groups/{world['group_here']['group_id']}",
            {"session_label": label},
            token=world["facilitator_here"]["token"],
        )
        assert changed.status_code == 200, changed.body
    assert reminder_parts(world, label) == parts
    going(api, world)
    crowd(world["session_here"], crowded)
    clock.now = DUE - timedelta(hours=1)

    queued_at = first_queued(hub, clock, DUE)

    # the first run after which the burst (the crowd and the member, each text of the parts its
    # label and link take, at the reminders' share of the pace) would have to start before the
    # run after next
    burst = timedelta(seconds=(crowded + 1) * parts / (mps * REMINDER_SHARE))
    assert queued_at == expected
    assert DUE - burst - QUEUE_MARGIN < queued_at <= DUE - burst - QUEUE_MARGIN + timedelta(minutes=1)


def test_a_burst_planned_ahead_ends_by_its_due_time_at_the_pace(
    api, world, hub, clock, queue, provider
) -> None:
    members = [texting(api, world, f"+16145550{index + 140}") for index in range(5)]
    crowd(world["session_here"], 43)  # the burst is counted as 48 reminders of two parts
    clock.now = DUE - timedelta(minutes=10)

    run(hub, clock, queue, DUE + timedelta(minutes=2))

    sent = provider.sent
    assert sorted(to for _at, _parts, to in sent) == sorted(f"+16145550{index + 140}" for index in range(5))
    assert len(members) == 5
    assert all(at <= DUE for at, _parts, _to in sent)  # every one by its due time
    assert min(at for at, _parts, _to in sent) >= DUE - timedelta(minutes=2)  # and not long before
    assert max(per_second(sent).values()) <= 1  # at the pace


def test_a_burst_of_one_part_reminders_is_spaced_at_one_part_each_not_two(
    api, world, hub, clock, queue, provider
) -> None:
    """The plan counts the parts the texts will take: five one-part reminders at 1 MPS need about
    7 s of the reminders' share of the pace, and start then, not 13 s ahead as if each were two."""
    from chalicelib.services.reminder_sweep import REMINDER_SHARE

    assert reminder_parts(world, None) == 1
    phones = [f"+16145550{index + 140}" for index in range(5)]
    for phone in phones:
        texting(api, world, phone)
    clock.now = DUE - timedelta(minutes=10)

    run(hub, clock, queue, DUE + timedelta(minutes=2))

    sent = provider.sent
    assert sorted(to for _at, _parts, to in sent) == sorted(phones)
    assert {parts for _at, parts, _to in sent} == {1}
    need = timedelta(seconds=len(phones) * 1 / (1 * REMINDER_SHARE))
    assert all(at <= DUE for at, _parts, _to in sent)  # every one by its due time
    assert min(at for at, _parts, _to in sent) >= DUE - need - timedelta(seconds=1)  # not before it must
    assert max(per_second(sent).values()) <= 1  # at the pace


def test_an_rsvp_after_the_burst_was_planned_is_reminded_in_its_due_minute(
    api, world, hub, clock, queue, provider
) -> None:
    from chalicelib.store.reminders import ReminderStateRepository

    going(api, world)
    crowd(world["session_here"], 60)  # a burst the sweep plans three minutes ahead
    clock.now = DUE - timedelta(minutes=10)
    run(hub, clock, queue, DUE - timedelta(minutes=2))
    assert ReminderStateRepository().get().watermark > DUE  # the due minute is already planned

    late = []
    run(
        hub,
        clock,
        queue,
        DUE + timedelta(minutes=5),
        rsvp=(clock.now, lambda: late.append(going(api, world, phone=OTHER))),
    )

    assert late
    sent = {to: at for at, _parts, to in provider.sent}
    assert sorted(to for _at, _parts, to in provider.sent) == sorted([PHONE, OTHER])  # each once
    assert sent[PHONE] <= DUE
    assert DUE - timedelta(minutes=2) <= sent[OTHER] < DUE + timedelta(minutes=1)


def test_an_rsvp_after_planning_keeps_its_reminder_while_the_pace_is_full_until_near_the_start(
    api,
    world,
    hub,
    clock,
    queue,
    provider,
    counted,  # noqa: F811 (the fixture above)
) -> None:
    going(api, world)
    late = verified_member(api, world["group_here"]["invite"]["code"], phone=OTHER, email=None)
    crowd(world["session_here"], 60)
    clock.now = DUE - timedelta(minutes=10)
    run(hub, clock, queue, DUE - timedelta(minutes=2))
    busy_until = DUE + timedelta(minutes=10)  # codes and replies fill the pace meanwhile
    for second in range(int(clock.now.timestamp()), int(busy_until.timestamp())):
        provider.pacer.repository.fill("sms", second, 1)

    def rsvp() -> None:
        answer = api.call("PUT", f"/v1/sessions/{world['session_here']}/rsvp", token=late["token"])
        assert answer.json["status"] == "going"

    run(hub, clock, queue, busy_until + timedelta(minutes=2), rsvp=(clock.now, rsvp))

    sent = {to: at for at, _parts, to in provider.sent}
    assert sorted(to for _at, _parts, to in provider.sent) == sorted([PHONE, OTHER])  # each once
    assert all(busy_until <= at < START for at in sent.values())  # at the first free turns
    assert counted.count("RemindersDroppedLate") == 0
    assert queue.dead == []
