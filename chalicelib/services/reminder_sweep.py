"""The reminder sweep: every minute, the reminders due soon are planned at the shared pace
and queued (see `reminder_jobs` for the whole pipeline)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from chalicelib.domain import preferences, templates
from chalicelib.notify.queue import ReminderQueue
from chalicelib.observability import count, logger
from chalicelib.services.reminder_jobs import (
    DELIVERY_MARGIN,
    DROPPED_LATE,
    LEDGER_KEPT,
    MAX_CATCH_UP,
    MAX_DELAY_SECONDS,
    Clock,
    Job,
    contact_status,
    due_at,
    iso,
    ledger_key,
    minute,
    parse,
    utcnow,
)
from chalicelib.settings import get_settings
from chalicelib.store import keys
from chalicelib.store.groups import GroupRepository
from chalicelib.store.members import MemberRepository
from chalicelib.store.reminders import LedgerRepository, PlanRepository, ReminderStateRepository
from chalicelib.store.sessions import SCHEDULED, SessionItem, SessionRepository, compact

CHUNK = timedelta(hours=1)  # due time queued, and the watermark advanced, an hour at a time
MAX_QUERIES_PER_RUN = 400  # the scheduled sweep's bound: the next run goes on from the watermark
MAX_LOOKAHEAD = timedelta(hours=1)  # a reminder goes at most this long before its due time
SWEEP_EVERY = timedelta(minutes=1)  # the sweep's schedule
QUEUE_MARGIN = 2 * SWEEP_EVERY  # due time is queued once its burst must start before the run after next
PLANNED_PARTS = 2  # a reminder text is at most two parts (templates.check_sms)
CHANNEL_PARTS = {"sms": PLANNED_PARTS, "email": 1}  # what one reminder is counted as, per channel
REMINDER_SHARE = 0.75  # of the pace, what reminders plan on: under the 0.8 the pace leaves them, for slack


@dataclass
class ReminderSweep:
    queue: ReminderQueue
    state: ReminderStateRepository = field(default_factory=ReminderStateRepository)
    sessions: SessionRepository = field(default_factory=SessionRepository)
    members: MemberRepository = field(default_factory=MemberRepository)
    groups: GroupRepository = field(default_factory=GroupRepository)
    ledger: LedgerRepository = field(default_factory=LedgerRepository)
    plans: PlanRepository = field(default_factory=PlanRepository)
    clock: Clock = utcnow
    max_queries: int = MAX_QUERIES_PER_RUN
    max_lookahead: timedelta = MAX_LOOKAHEAD
    planned_until: dict[str, datetime] = field(default_factory=dict)  # the pace planned so far

    def run(self) -> int:
        """The scheduled sweep: due time since the watermark, oldest hour first, each hour queued
        and then the watermark moved past it; stops after `max_queries` (the next run goes on). A
        failure keeps the hours already done; a window older than `MAX_CATCH_UP` is given up.

        Due time is read ahead as far as the bursts there need to start before the run after
        next (`_horizon`), and the due minute queued early is read again at its due minute, for
        whoever RSVPed meanwhile (`_recheck`)."""
        now = self.clock()
        floor = minute(now) + SWEEP_EVERY
        state = self.state.get()
        planned = state.watermark or minute(now)
        start = max(planned, floor - MAX_CATCH_UP)
        leads = self._leads(state)
        self.planned_until = {channel: parse(at) for channel, at in (state.planned or {}).items()}
        enqueued = self._recheck(state, min(planned, floor), now, leads)
        end, found, ceilings = floor, None, None
        if start >= floor - CHUNK:  # caught up: look ahead
            end, found, ceilings = self._horizon(start, floor, now, leads)
        queries = 0 if found is None else self._cost(start, floor + self.max_lookahead, leads)
        for first, last in _chunks(start, end):
            cost = 0 if found is not None else self._cost(first, last, leads)
            if cost and queries and queries + cost > self.max_queries:  # read ahead already: free
                break
            ceiling = None
            if ceilings is not None:
                ceiling = {channel: _first_from(turns, last) for channel, turns in ceilings.items()}
            enqueued += self._sweep_chunk(first, last, now, leads, found, ceiling)
            queries += cost
            self.state.advance(last, {channel: iso(at) for channel, at in self.planned_until.items()})
        return enqueued

    @staticmethod
    def _leads(state: Any) -> set[int]:
        return {int(lead) for lead in (state.leads or set())} | set(preferences.DEFAULT_LEADS)

    def sweep(self, start: datetime, end: datetime, now: datetime, leads: set[int] | None = None) -> int:
        """Queue every reminder whose due time (session start − lead) is in [start, end)."""
        leads = leads if leads is not None else self._leads(self.state.get())
        return sum(self._sweep_chunk(first, last, now, leads) for first, last in _chunks(start, end))

    def _due(
        self, start: datetime, end: datetime, now: datetime, leads: set[int], found: list[SessionItem] | None
    ) -> list[tuple[SessionItem, int]]:
        due: list[tuple[SessionItem, int]] = []
        for item in self._starting(start, end, leads) if found is None else found:
            for lead in sorted(leads):
                due_time = item.start - timedelta(minutes=lead)
                if start <= due_time < end and item.status == SCHEDULED and item.start > now:
                    due.append((item, lead))
        return due

    def _sweep_chunk(
        self,
        start: datetime,
        end: datetime,
        now: datetime,
        leads: set[int],
        found: list[SessionItem] | None = None,
        ceilings: dict[str, datetime | None] | None = None,
    ) -> int:
        due = self._due(start, end, now, leads, found)
        if not due:
            return 0
        jobs = self._jobs(due)
        planned, until, late = _planned(jobs, now, ceilings, self.planned_until)
        ahead = minute(now) + SWEEP_EVERY  # due minutes from here on are read again when due
        plans: dict[keys.Key, set[str]] = {
            _plan_key(item.session_id, lead, item.start, channel): set()
            for item, lead in due
            if item.start - timedelta(minutes=lead) >= ahead
            for channel in CHANNEL_PARTS
        }
        for job in jobs:
            if _plan_key(job.subject, job.lead, parse(job.start), job.channel) in plans:
                plans[_plan_key(job.subject, job.lead, parse(job.start), job.channel)].add(job.member_id)
        self.plans.record(plans, keep_until=now + MAX_CATCH_UP + LEDGER_KEPT)
        sent = 0
        for delay, jobs in planned.items():
            sent += self.queue.send(jobs, delay_seconds=delay)
        self.planned_until |= until
        count("reminders_enqueued", sent)
        if late:
            count(DROPPED_LATE, len(late))
            logger().warning(
                "reminders dropped: the pace has no turn for them before their sessions start",
                extra={
                    "reminders": len(late),
                    "seconds_to_start": int((parse(late[0].start) - now).total_seconds()),
                },
            )
        return sent

    def _horizon(
        self, start: datetime, floor: datetime, now: datetime, leads: set[int]
    ) -> tuple[datetime, list[SessionItem], dict[str, dict[datetime, datetime]]]:
        """How far to queue now: every due minute whose burst, planned backwards from the last
        due time at the pace reminders can count on, must start before the run after next.

        The burst is counted from the sessions alone (each member going, on every channel and
        lead in use, a reminder of `PLANNED_PARTS`): an upper bound, so it starts early rather
        than late. Returns the end of due time to queue, the sessions read and, per channel,
        each due minute's planned start (what the minutes queued now must end before)."""
        cap = floor + self.max_lookahead
        found = [item for item in self._starting(start, cap, leads) if item.status == SCHEDULED]
        found = [item for item in found if item.start > now]
        demand: dict[str, dict[datetime, float]] = {channel: {} for channel in CHANNEL_PARTS}
        for item in found:
            going = len(item.going or ())
            for lead in leads:
                due_time = item.start - timedelta(minutes=lead)
                if going and start <= due_time < cap:
                    for channel, parts in CHANNEL_PARTS.items():
                        slot = demand[channel]
                        slot[minute(due_time)] = slot.get(minute(due_time), 0) + going * parts
        end = floor
        starts: dict[str, dict[datetime, datetime]] = {}
        rates = _reminder_rates()
        for channel, slots in demand.items():
            turn: datetime | None = None
            starts[channel] = {}
            for due_minute in sorted(slots, reverse=True):
                turn = due_minute if turn is None else min(due_minute, turn)
                turn -= timedelta(seconds=slots[due_minute] / rates[channel])
                starts[channel][due_minute] = turn
                if turn < now + QUEUE_MARGIN:
                    end = max(end, due_minute + SWEEP_EVERY)
        return min(end, cap), found, starts

    def _recheck(self, state: Any, planned: datetime, now: datetime, leads: set[int]) -> int:
        """Read the due minute again if it was queued ahead: a member who RSVPed since is
        queued now (at the pace's next turn, before the start); who the ledger already holds
        is not queued twice."""
        floor = minute(now) + SWEEP_EVERY
        first = max(state.rechecked or minute(now), floor - MAX_CATCH_UP)
        sent = 0
        if first < planned:
            jobs = self._jobs(self._due(first, planned, now, leads, None))
            plans = self.plans.planned(
                [_plan_key(job.subject, job.lead, parse(job.start), job.channel) for job in jobs]
            )
            jobs = [
                job
                for job in jobs
                if job.member_id
                not in plans.get(_plan_key(job.subject, job.lead, parse(job.start), job.channel), set())
            ]
            held = self.ledger.known([ledger_key(job) for job in jobs])
            fresh = [job for job in jobs if ledger_key(job) not in held]
            if fresh:
                sent = self.queue.send(fresh)
                count("reminders_enqueued", sent, reason="rechecked")
        if state.rechecked is None or state.rechecked < floor:
            self.state.recheck(floor)
        return sent

    def _starting(self, start: datetime, end: datetime, leads: set[int]) -> list[SessionItem]:
        """Sessions starting in any lead's window, each read once however many windows overlap."""
        found: dict[str, SessionItem] = {}
        for first, last in _windows(start, end, leads):
            for item in self.sessions.starting(first, last):
                found[item.session_id] = item
        return list(found.values())

    @staticmethod
    def _cost(start: datetime, end: datetime, leads: set[int]) -> int:
        """Queries `_starting` makes for this due time: one per hour bucket and shard."""
        hours = 0
        for first, last in _windows(start, end, leads):
            hours += (last.replace(minute=0) - first.replace(minute=0)) // CHUNK + 1
        return hours * keys.START_SHARDS

    def _jobs(self, due: list[tuple[SessionItem, int]]) -> list[Job]:
        members = self.members.active_in(
            (item.group_id, member_id) for item, _lead in due for member_id in (item.going or ())
        )
        labels = self.groups.session_labels({item.group_id for item, _lead in due})
        jobs = []
        for item, lead in due:
            for member_id in sorted(item.going or ()):
                member = members.get((item.group_id, member_id))
                if member is None:
                    continue
                prefs = preferences.ReminderPreferences.from_dict(member.reminders)
                if lead not in prefs.lead_minutes:
                    continue
                for channel in prefs.channels:
                    if contact_status(member, channel) == "verified":
                        jobs.append(
                            Job(
                                kind=templates.REMINDER,
                                member_id=member_id,
                                group_id=item.group_id,
                                subject=item.session_id,
                                start=iso(item.start),
                                label=labels.get(item.group_id, "your session"),
                                channel=channel,
                                lead=lead,
                            )
                        )
        return jobs


def _reminder_rates() -> dict[str, float]:
    settings = get_settings()
    return {"sms": settings.sms_mps * REMINDER_SHARE, "email": settings.email_per_second * REMINDER_SHARE}


def _planned(
    jobs: list[Job],
    now: datetime,
    ceilings: dict[str, datetime | None] | None = None,
    after: dict[str, datetime] | None = None,
) -> tuple[dict[int, list[Job]], dict[str, datetime], list[Job]]:
    """Jobs by the queue delay that starts each at its turn, what the pace is planned up to per
    channel, and the jobs with no turn before their start.

    Turns are planned backwards from the last due time (or from `ceilings`, where the burst due
    after them starts), at the pace reminders can count on, so a burst's last reminder goes out
    by its due time. A burst larger than the time left is then packed forwards from now (or
    from `after`, what earlier runs planned), earliest due first: late rather than never, and a
    reminder whose turn would come after its start is not queued at all. A turn beyond the
    queue's longest delay is kept in `not_before` (the job hops through the queue until then)."""
    rates = _reminder_rates()
    planned: dict[int, list[Job]] = {}
    until: dict[str, datetime] = {}
    late: list[Job] = []
    for channel, parts in CHANNEL_PARTS.items():
        step = timedelta(seconds=parts / rates[channel])
        mine = sorted((job for job in jobs if job.channel == channel), key=due_at, reverse=True)
        backwards: list[datetime] = []
        turn = (ceilings or {}).get(channel)
        for job in mine:
            turn = due_at(job) if turn is None else min(due_at(job), turn)
            turn -= step  # sent, all its parts, by the turn after
            backwards.append(turn)
        cursor = max(now, (after or {}).get(channel, now))
        for job, backward in reversed(list(zip(mine, backwards, strict=True))):
            turn = max(backward, cursor)
            if turn > parse(job.start) - DELIVERY_MARGIN - step:
                late.append(job)
                continue
            cursor = turn + step
            delay = int((turn - now).total_seconds())
            if (
                delay > MAX_DELAY_SECONDS
            ):  # hops of the longest delay after a first one, spread as the turns are
                job = replace(job, not_before=iso(turn))
                delay -= MAX_DELAY_SECONDS * ((delay - 1) // MAX_DELAY_SECONDS)
            planned.setdefault(max(0, delay), []).append(job)
        if mine:
            until[channel] = cursor
    return planned, until, late


def _first_from(turns: dict[datetime, datetime], after: datetime) -> datetime | None:
    """The planned start of the first due minute at or after `after` (None: nothing due)."""
    later = [due_minute for due_minute in turns if due_minute >= after]
    return turns[min(later)] if later else None


def _plan_key(session_id: str, lead: int | None, start: datetime, channel: str | None) -> keys.Key:
    return keys.reminder_plan(session_id, channel or "", f"lead{lead}@{compact(start)}")


def _chunks(start: datetime, end: datetime) -> Iterable[tuple[datetime, datetime]]:
    """[start, end) cut at each whole UTC hour."""
    cursor = start
    while cursor < end:
        following = min(end, cursor.replace(minute=0, second=0, microsecond=0) + CHUNK)
        yield cursor, following
        cursor = following


def _windows(start: datetime, end: datetime, leads: set[int]) -> list[tuple[datetime, datetime]]:
    """Start minutes [first, last] of sessions due in [start, end), merged across lead times."""
    due_first, due_last = minute(start), minute(end - timedelta(seconds=1))
    spans = sorted((due_first + timedelta(minutes=m), due_last + timedelta(minutes=m)) for m in leads)
    merged: list[tuple[datetime, datetime]] = []
    for first, last in spans:
        if merged and first <= merged[-1][1] + timedelta(minutes=1):
            merged[-1] = (merged[-1][0], max(merged[-1][1], last))
        else:
            merged.append((first, last))
    return merged
