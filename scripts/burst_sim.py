"""The 7 PM burst on paper: the real sweep, worker, pace and sender on a virtual clock.

Everything Hearth decides runs as deployed (`ReminderSweep.run` every minute, `ReminderWorker.handle`
for each queue message, `PacedSender` booking the shared pace); only the stores are in memory
(the table's items, the ledger, the sweep's state, the pace's seconds), the queue is a simulated
SQS (delays, batches of ten), and the carrier is a fake that refuses any part beyond its MPS in a
second. Each worker invocation handles its batch one message after another, each taking
`SERVICE` plus the wait for its turn; the concurrency figure is the most invocations running at
once. Writes are counted per partition key per virtual second (a pace second's booking attempts,
the ledger's claim and mark, the sweep's state).
"""

from __future__ import annotations

import heapq
import itertools
import logging
import math
import os
import statistics
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from unittest import mock

START = datetime(2026, 12, 2, 0, 0, tzinfo=UTC)  # 7:00 PM Eastern
LEADS = (60, 15)
SERVICE = timedelta(milliseconds=100)  # one message's reads, writes and provider call, besides its wait
BATCH = 10
ENV = {
    "HEARTH_STAGE": "local",
    "HEARTH_CONTACT_KEY": "YmVuY2gtY29udGFjdC1rZXktMzItYnl0ZXMtbG9uZyE",
    "HEARTH_PUBLIC_BASE_URL": "https://hearth.example.org",
    "AWS_DEFAULT_REGION": "us-east-1",
}


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@dataclass
class Writes:
    """Writes per (partition key, virtual second)."""

    clock: Clock
    counts: Counter[tuple[str, int]] = field(default_factory=Counter)

    def add(self, pk: str) -> None:
        self.counts[(pk, math.floor(self.clock().timestamp()))] += 1

    def busiest(self) -> tuple[str, int]:
        if not self.counts:
            return "", 0
        (pk, _second), most = self.counts.most_common(1)[0]
        return pk, most


class PaceStore:
    """`store.pace.PaceRepository` in memory: the same conditional add, per second."""

    def __init__(self, writes: Writes) -> None:
        self.used: Counter[tuple[str, int]] = Counter()
        self.writes = writes

    def book(self, channel: str, second: int, parts: int, limit: int) -> bool:
        from chalicelib.store import keys

        if limit - parts < 0:
            return False
        self.writes.add(keys.pace(channel, second).pk)
        if self.used[(channel, second)] > limit - parts:
            return False
        self.used[(channel, second)] += parts
        return True

    def fill(self, channel: str, second: int, parts: int) -> None:
        from chalicelib.store import keys

        self.writes.add(keys.pace(channel, second).pk)
        self.used[(channel, second)] += parts


class Ledger:
    """`store.reminders.LedgerRepository` in memory: claim once, mark sent, release."""

    def __init__(self, writes: Writes) -> None:
        self.items: dict[Any, str] = {}
        self.writes = writes

    def claim(
        self, member_id: str, subject: str, channel: str, what: str, now: datetime, keep_until: datetime
    ) -> Any:
        from chalicelib.store import keys
        from chalicelib.store.reminders import AlreadySentError, ClaimHeldError

        key = keys.ledger(member_id, subject, channel, what)
        self.writes.add(key.pk)
        status = self.items.get(key)
        if status == "sent":
            raise AlreadySentError("Already sent.")
        if status == "claimed":
            raise ClaimHeldError("Being sent.")
        self.items[key] = "claimed"
        return key

    def mark_sent(self, key: Any, now: datetime) -> None:
        self.writes.add(key.pk)
        self.items[key] = "sent"

    def release(self, key: Any) -> None:
        self.writes.add(key.pk)
        self.items.pop(key, None)

    def known(self, wanted: list[Any]) -> set[Any]:
        return {key for key in wanted if key in self.items}


class Plans:
    """`store.reminders.PlanRepository` in memory: who each reminder was planned for."""

    def __init__(self, writes: Writes) -> None:
        self.items: dict[Any, set[str]] = {}
        self.writes = writes

    def record(self, plans: dict[Any, set[str]], keep_until: datetime) -> None:
        for key, members in plans.items():
            self.writes.add(key.pk)
            self.items[key] = set(members)

    def planned(self, wanted: list[Any]) -> dict[Any, set[str]]:
        return {key: self.items[key] for key in wanted if key in self.items}


@dataclass
class State:
    watermark: datetime | None = None
    rechecked: datetime | None = None
    planned: dict[str, str] | None = None
    leads: set[int] = field(default_factory=lambda: set(LEADS))


class StateStore:
    """`store.reminders.ReminderStateRepository` in memory."""

    def __init__(self, writes: Writes) -> None:
        self.state = State()
        self.writes = writes

    def get(self) -> State:
        return State(self.state.watermark, self.state.rechecked, self.state.planned, set(self.state.leads))

    def advance(self, watermark: datetime, planned: dict[str, str] | None = None) -> bool:
        self.writes.add("REMINDERS")
        if self.state.watermark is not None and self.state.watermark >= watermark:
            return False
        self.state.watermark = watermark
        if planned:
            self.state.planned = planned
        return True

    def recheck(self, until: datetime) -> None:
        self.writes.add("REMINDERS")
        self.state.rechecked = max(until, self.state.rechecked or until)


class Sessions:
    """`SessionRepository.starting` over the sessions in memory."""

    def __init__(self, items: list[Any]) -> None:
        self.items = items

    def starting(self, first: datetime, last: datetime) -> list[Any]:
        return [item for item in self.items if first <= item.start <= last]


class Queue:
    """SQS as the event source sees it: a message is visible after its delay."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.heap: list[tuple[datetime, int, str]] = []
        self.ids = itertools.count()
        self.sent = 0

    def send(self, jobs: Any, delay_seconds: int = 0) -> int:
        visible = self.clock() + timedelta(seconds=delay_seconds)
        count = 0
        for job in jobs:
            heapq.heappush(self.heap, (visible, next(self.ids), job.to_json()))
            count += 1
        self.sent += count
        return count

    def visible(self, now: datetime) -> list[str]:
        found = []
        while self.heap and self.heap[0][0] <= now:
            found.append(heapq.heappop(self.heap)[2])
        return found


class Carrier:
    """The origination identity: refuses (ThrottlingException) any part beyond its MPS in a second."""

    def __init__(self, clock: Clock, mps: int) -> None:
        self.clock = clock
        self.mps = mps
        self.parts: Counter[int] = Counter()
        self.sent: list[tuple[datetime, str]] = []
        self.throttles = 0

    def sms(self, to: str, body: str) -> None:
        from chalicelib.domain import sms_text
        from chalicelib.notify.senders import TransientSendError

        second = math.floor(self.clock().timestamp())
        parts = sms_text.parts(body)
        if self.parts[second] + parts > self.mps:
            self.throttles += 1
            raise TransientSendError("ThrottlingException")
        self.parts[second] += parts
        self.sent.append((self.clock(), to))

    def email(self, *args: Any, **kwargs: Any) -> None:
        raise AssertionError("the burst is texts only")


@dataclass
class Figures:
    mps: int
    sessions: int
    members: int
    reminders: int
    sent: int
    dropped_late: int
    throttles: int
    p50: float  # seconds after (+) or before (-) its due time a reminder went
    p99: float
    latest: float
    latest_to_start: float  # seconds before (-) its session's start the last text went
    busiest_key: str
    busiest_writes: int
    concurrency: int
    busiest_second_parts: int

    @property
    def all_before_due(self) -> bool:
        return self.sent == self.reminders and self.latest <= 0


@contextmanager
def _quiet() -> Iterator[None]:
    """Hearth's warnings (each reminder dropped) off while simulating, as they were afterwards."""
    from chalicelib.observability import logger

    logger()  # built first: it sets the level this restores (built inside, NOTSET would come back)
    hearth = logging.getLogger("hearth")
    level = hearth.level
    hearth.setLevel(logging.ERROR)
    try:
        yield
    finally:
        hearth.setLevel(level)


@contextmanager
def _in_memory(members: dict[Any, Any], sessions: dict[Any, Any]) -> Iterator[None]:
    """The table's reads the sweep and worker make by model, served from memory."""
    from chalicelib.store import groups
    from chalicelib.store import members as member_store
    from chalicelib.store import sessions as session_store
    from chalicelib.store.groups import GroupItem
    from chalicelib.store.members import MemberItem
    from chalicelib.store.sessions import SessionItem

    def get_member(pk: str, sk: str, consistent_read: bool = False) -> Any:
        try:
            return members[(pk, sk)]
        except KeyError:
            raise MemberItem.DoesNotExist() from None

    def get_session(pk: str, sk: str, consistent_read: bool = False) -> Any:
        try:
            return sessions[(pk, sk)]
        except KeyError:
            raise SessionItem.DoesNotExist() from None

    with ExitStack() as stack:
        for store in (groups, member_store, session_store):
            stack.enter_context(mock.patch.object(store, "bind", return_value=None))
        stack.enter_context(mock.patch.object(MemberItem, "get", staticmethod(get_member)))
        stack.enter_context(mock.patch.object(SessionItem, "get", staticmethod(get_session)))
        stack.enter_context(
            mock.patch.object(
                MemberItem,
                "batch_get",
                staticmethod(lambda wanted: [members[tuple(key)] for key in wanted if tuple(key) in members]),
            )
        )
        stack.enter_context(mock.patch.object(GroupItem, "batch_get", staticmethod(lambda wanted: [])))
        yield


def simulate(mps: int, sessions: int = 2000, per_session: int = 10, start: datetime = START) -> Figures:
    """The burst of `sessions` sessions at `start`, `per_session` members each going, every member
    texted a 60- and a 15-minute reminder, through an identity of `mps` parts a second."""
    os.environ.update(ENV | {"HEARTH_SMS_MPS": str(mps)})
    from chalicelib import crypto
    from chalicelib.domain import recurrence
    from chalicelib.errors import ConflictError
    from chalicelib.notify import pace
    from chalicelib.notify.senders import PacedSender, SendError
    from chalicelib.services import reminder_jobs, reminder_sweep, reminder_worker
    from chalicelib.settings import reset_settings
    from chalicelib.store import keys
    from chalicelib.store.members import ACTIVE, MemberItem
    from chalicelib.store.sessions import SCHEDULED, SessionItem
    from scripts.local_runner import queue_settings

    reset_settings()
    clock = Clock(start - timedelta(hours=2))
    writes = Writes(clock)
    members: dict[Any, Any] = {}
    occurrences: dict[Any, Any] = {}
    prefs = {"channels": ["sms"], "lead_minutes": list(LEADS)}
    for index in range(sessions):
        group_id, series_id = f"grp_{index:06d}", f"ser_{index:06d}"
        going = set()
        for seat in range(per_session):
            member_id = f"mem_{index:06d}_{seat:02d}"
            key = keys.member(group_id, member_id)
            members[(key.pk, key.sk)] = MemberItem(
                key.pk,
                key.sk,
                member_id=member_id,
                group_id=group_id,
                timezone="America/New_York",
                reminders=prefs,
                status=ACTIVE,
                phone_enc=crypto.seal("phone", f"+1614{index:04d}{seat:03d}"),
                phone_status="verified",
            )
            going.add(member_id)
        key = keys.occurrence(series_id, f"{start:%Y%m%dT%H%MZ}")
        occurrences[(key.pk, key.sk)] = SessionItem(
            key.pk,
            key.sk,
            series_id=series_id,
            group_id=group_id,
            session_id=recurrence.session_id(series_id, start),
            original_start=start,
            start=start,
            status=SCHEDULED,
            going=going,
        )
    counted: Counter[str] = Counter()
    queue = Queue(clock)
    carrier = Carrier(clock, mps)
    store = PaceStore(writes)
    pacers: list[pace.Pacer] = []
    ledger = Ledger(writes)
    sweep = reminder_sweep.ReminderSweep(
        queue=queue,  # type: ignore[arg-type]
        state=StateStore(writes),  # type: ignore[arg-type]
        sessions=Sessions(list(occurrences.values())),  # type: ignore[arg-type]
        ledger=ledger,  # type: ignore[arg-type]
        plans=Plans(writes),  # type: ignore[arg-type]
        clock=clock,
    )
    current: list[pace.Pacer] = []
    worker = reminder_worker.ReminderWorker(
        queue=queue,  # type: ignore[arg-type]
        ledger=ledger,  # type: ignore[arg-type]
        outbound=lambda: PacedSender(carrier, current[0]),
        clock=clock,
    )
    invocations: list[tuple[datetime, datetime]] = []
    offsets: list[float] = []
    hidden = queue_settings("hearth-reminders").visibility_timeout

    def count(name: str, value: float = 1, **_dimensions: str) -> None:
        counted[name] += int(value)

    end = start + timedelta(minutes=1)
    with (
        _in_memory(members, occurrences),
        mock.patch.object(reminder_sweep, "count", count),
        mock.patch.object(reminder_worker, "count", count),
        _quiet(),
    ):
        second = clock.now
        while second < end:
            clock.now = second
            if second.second == 0:
                sweep.run()
            bodies = queue.visible(second)
            for index in range(0, len(bodies), BATCH):
                while len(pacers) <= index // BATCH:  # warm processes, each with its pacer
                    pacers.append(pace.Pacer(store, clock=clock, sleep=clock.sleep))  # type: ignore[arg-type]
                current[:] = [pacers[index // BATCH]]
                cursor = second
                for body in bodies[index : index + BATCH]:
                    clock.now = cursor
                    job = reminder_jobs.Job.from_json(body)
                    before = len(carrier.sent)
                    try:
                        worker.handle(job)
                    except (SendError, ConflictError):  # reported failed: back after the timeout
                        queue.send([job], delay_seconds=hidden)
                    if len(carrier.sent) > before:
                        offsets.append((carrier.sent[-1][0] - reminder_jobs.due_at(job)).total_seconds())
                    cursor = max(clock.now, cursor) + SERVICE
                invocations.append((second, cursor))
            second += timedelta(seconds=1)
    busiest_key, busiest_writes = writes.busiest()
    return Figures(
        mps=mps,
        sessions=sessions,
        members=sessions * per_session,
        reminders=sessions * per_session * len(LEADS),
        sent=len(carrier.sent),
        dropped_late=int(counted[reminder_jobs.DROPPED_LATE]),
        throttles=carrier.throttles,
        p50=_quantile(offsets, 0.5),
        p99=_quantile(offsets, 0.99),
        latest=max(offsets) if offsets else 0.0,
        latest_to_start=max(((at - start).total_seconds() for at, _to in carrier.sent), default=-3600.0),
        busiest_key=busiest_key.rsplit("#", 1)[0] + "#<second>"
        if busiest_key.startswith("PACE#")
        else busiest_key,
        busiest_writes=busiest_writes,
        concurrency=_most_at_once(invocations),
        busiest_second_parts=max(carrier.parts.values(), default=0),
    )


def _quantile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[round(q * 100) - 1]


def _most_at_once(intervals: list[tuple[datetime, datetime]]) -> int:
    events = sorted([(begin, 1) for begin, _ in intervals] + [(finish, -1) for _, finish in intervals])
    running = most = 0
    for _at, change in events:
        running += change
        most = max(most, running)
    return most
