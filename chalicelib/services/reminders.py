"""The reminder pipeline: sweep → queue → worker → SMS / email, once, on time, discreet.

- The sweep runs every minute. For each lead time in use it queries the
  `by_start` index (an hour bucket per shard, sorted by start minute) for
  sessions starting that long after the minutes being swept, so its cost
  follows the reminders due, not the number of groups or series. A watermark
  lets it catch up minutes it missed, an hour of due time at a time, advanced
  as each hour is queued and bounded per run; sessions that already started
  are dropped, never reminded late.
- One queue message per (member, session, planned start, channel, lead); notices
  (cancelled, moved, promoted, series ended) use the same queue.
- The worker re-checks everything at send time, reminders and notices alike,
  honours quiet hours, claims a ledger item with a conditional write (a lease),
  sends, then marks it sent. A provider's answer is read as transient (retried),
  permanent for that recipient (recorded for them only) or configuration
  (nobody changes, sending stops, ops are paged).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import Any

from chalicelib import crypto
from chalicelib.domain import preferences, recurrence, templates
from chalicelib.domain.timezones import zone
from chalicelib.notify import pace
from chalicelib.notify.queue import ReminderQueue
from chalicelib.notify.senders import (
    ConfigurationSendError,
    PacedLaterError,
    PermanentSendError,
    Sender,
    TooLateError,
    TransientSendError,
    sender,
)
from chalicelib.observability import count, logger
from chalicelib.settings import get_settings
from chalicelib.store import keys
from chalicelib.store.groups import GroupRepository
from chalicelib.store.members import ACTIVE, MemberItem, MemberRepository
from chalicelib.store.reminders import (
    AlreadySentError,
    LedgerRepository,
    PlanRepository,
    ReminderStateRepository,
)
from chalicelib.store.sessions import (
    CANCELLED,
    SCHEDULED,
    SeriesItem,
    SessionItem,
    SessionRepository,
    compact,
)

MAX_CATCH_UP = timedelta(hours=6)
CHUNK = timedelta(hours=1)  # due time queued, and the watermark advanced, an hour at a time
MAX_QUERIES_PER_RUN = 400  # the scheduled sweep's bound: the next run goes on from the watermark
MAX_DELAY_SECONDS = 900  # SQS's limit; longer waits hop through the queue again
MAX_LOOKAHEAD = timedelta(hours=1)  # a reminder goes at most this long before its due time
SWEEP_EVERY = timedelta(minutes=1)  # the sweep's schedule
QUEUE_MARGIN = 2 * SWEEP_EVERY  # due time is queued once its burst must start before the run after next
PLANNED_PARTS = 2  # a reminder text is at most two parts (templates.check_sms)
CHANNEL_PARTS = {"sms": PLANNED_PARTS, "email": 1}  # what one reminder is counted as, per channel
REMINDER_SHARE = 0.75  # of the pace, what reminders plan on: under the 0.8 the pace leaves them, for slack
SEND_BATCH = 10
LEDGER_KEPT = timedelta(days=14)
MISCONFIGURED = "delivery_misconfigured"  # the metric infra/template.yaml alarms on
DROPPED_LATE = "RemindersDroppedLate"  # a reminder that could only have arrived after the start
DELIVERY_MARGIN = timedelta(seconds=30)  # handed to the provider this long before the start at the latest

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    return datetime.now(UTC)


def minute(instant: datetime) -> datetime:
    return instant.astimezone(UTC).replace(second=0, microsecond=0)


def _iso(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


class PoisonMessageError(ValueError):
    """A queue message Hearth cannot read; it is retried and then lands in the dead-letter queue."""


@dataclass(frozen=True)
class Job:
    """One queued message: a reminder (one channel, one lead) or a notice (every chosen channel)."""

    kind: str
    member_id: str
    group_id: str
    subject: str  # a session id, or a series id for `series_ended`
    start: str  # the session's start as known when queued (UTC ISO)
    label: str
    channel: str | None = None
    lead: int | None = None
    new_start: str | None = None
    sequence: int = 0
    not_before: str | None = None

    def to_json(self) -> str:
        return json.dumps({k: v for k, v in asdict(self).items() if v is not None}, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> Job:
        try:
            data = json.loads(text)
            job = cls(**data)
            _parse(job.start)
        except (TypeError, ValueError) as exc:
            raise PoisonMessageError("Unreadable reminder message.") from exc
        if job.kind not in templates.KINDS or (
            job.kind == templates.REMINDER and (not job.channel or not job.lead)
        ):
            raise PoisonMessageError("Unknown reminder message kind.")
        return job

    @property
    def what(self) -> str:
        """What the ledger counts once: the lead for reminders, the change for notices."""
        if self.kind == templates.REMINDER:  # per planned start: a moved session is reminded again
            return f"lead{self.lead}@{compact(_parse(self.start))}"
        return f"{self.kind}{self.sequence}"


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
        self.planned_until = {channel: _parse(at) for channel, at in (state.planned or {}).items()}
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
            self.state.advance(last, {channel: _iso(at) for channel, at in self.planned_until.items()})
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
                due_at = item.start - timedelta(minutes=lead)
                if start <= due_at < end and item.status == SCHEDULED and item.start > now:
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
            if _plan_key(job.subject, job.lead, _parse(job.start), job.channel) in plans:
                plans[_plan_key(job.subject, job.lead, _parse(job.start), job.channel)].add(job.member_id)
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
                    "seconds_to_start": int((_parse(late[0].start) - now).total_seconds()),
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
                due_at = item.start - timedelta(minutes=lead)
                if going and start <= due_at < cap:
                    for channel, parts in CHANNEL_PARTS.items():
                        slot = demand[channel]
                        slot[minute(due_at)] = slot.get(minute(due_at), 0) + going * parts
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
                [_plan_key(job.subject, job.lead, _parse(job.start), job.channel) for job in jobs]
            )
            jobs = [
                job
                for job in jobs
                if job.member_id
                not in plans.get(_plan_key(job.subject, job.lead, _parse(job.start), job.channel), set())
            ]
            held = self.ledger.known([_ledger_key(job) for job in jobs])
            fresh = [job for job in jobs if _ledger_key(job) not in held]
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
                    if _status(member, channel) == "verified":
                        jobs.append(
                            Job(
                                kind=templates.REMINDER,
                                member_id=member_id,
                                group_id=item.group_id,
                                subject=item.session_id,
                                start=_iso(item.start),
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
        mine = sorted((job for job in jobs if job.channel == channel), key=_due, reverse=True)
        backwards: list[datetime] = []
        turn = (ceilings or {}).get(channel)
        for job in mine:
            turn = _due(job) if turn is None else min(_due(job), turn)
            turn -= step  # sent, all its parts, by the turn after
            backwards.append(turn)
        cursor = max(now, (after or {}).get(channel, now))
        for job, backward in reversed(list(zip(mine, backwards, strict=True))):
            turn = max(backward, cursor)
            if turn > _parse(job.start) - DELIVERY_MARGIN - step:
                late.append(job)
                continue
            cursor = turn + step
            delay = int((turn - now).total_seconds())
            if (
                delay > MAX_DELAY_SECONDS
            ):  # hops of the longest delay after a first one, spread as the turns are
                job = replace(job, not_before=_iso(turn))
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


def _ledger_key(job: Job) -> keys.Key:
    return keys.ledger(job.member_id, job.subject, job.channel or "", job.what)


def _due(job: Job) -> datetime:
    return _parse(job.start) - timedelta(minutes=job.lead or 0)


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


def _status(member: MemberItem, channel: str) -> str | None:
    return member.phone_status if channel == "sms" else member.email_status


def unsubscribe_token(group_id: str, member_id: str) -> str:
    return crypto.sign("unsubscribe", f"{group_id}.{member_id}")


@dataclass
class ReminderWorker:
    queue: ReminderQueue
    ledger: LedgerRepository = field(default_factory=LedgerRepository)
    members: MemberRepository = field(default_factory=MemberRepository)
    sessions: SessionRepository = field(default_factory=SessionRepository)
    outbound: Callable[[], Sender] = sender
    clock: Clock = utcnow

    @cached_property
    def base_url(self) -> str:
        return get_settings().public_base_url

    def handle(self, job: Job) -> str:
        """Deliver one job; returns what happened (`sent`, `deferred`, or `skipped:<reason>`)."""
        now = self.clock()
        if job.not_before and _parse(job.not_before) > now:
            return self._defer(job, _parse(job.not_before), now)
        member = self._member(job)
        if member is None:
            return self._skip("no_member")
        if job.kind == templates.REMINDER:
            return self._remind(job, member, now)
        return self._notify(job, member, now)

    def _member(self, job: Job) -> MemberItem | None:
        found = self.members.get(job.group_id, job.member_id, consistent=True)
        return found if found is not None and found.status == ACTIVE else None

    @staticmethod
    def _skip(reason: str) -> str:
        count("reminders_skipped", reason=reason)
        return f"skipped:{reason}"

    def _session(self, job: Job) -> SessionItem | None:
        try:
            series_id, original = recurrence.parse_session_id(job.subject)
        except ValueError:
            return None
        return self.sessions.get(series_id, original, consistent=True)

    def _remind(self, job: Job, member: MemberItem, now: datetime) -> str:
        session = self._session(job)
        if session is None or session.status != SCHEDULED:
            return self._skip("cancelled")
        if _iso(session.start) != job.start:
            return self._skip("moved")
        if session.start <= now:
            return self._skip("started")
        if job.member_id not in (session.going or set()):
            return self._skip("not_going")
        prefs = preferences.ReminderPreferences.from_dict(member.reminders)
        if job.lead not in prefs.lead_minutes or job.channel not in prefs.channels:
            return self._skip("preferences")
        if _status(member, job.channel or "") != "verified":
            return self._skip("not_verified")
        quiet_end = self._quiet_until(prefs, member.timezone, now)
        if quiet_end is not None:
            if quiet_end < session.start:
                return self._defer(replace(job, not_before=_iso(quiet_end)), quiet_end, now)
            return self._skip("quiet_hours")
        return self._deliver(job, member, job.channel or "", session.start, now)

    def _notify(self, job: Job, member: MemberItem, now: datetime) -> str:
        stale = self._stale_notice(job, now)
        if stale is not None:
            return self._skip(stale)
        prefs = preferences.ReminderPreferences.from_dict(member.reminders)
        outcomes = [
            self._deliver(job, member, channel, _parse(job.start), now)
            for channel in prefs.channels
            if _status(member, channel) == "verified"
        ]
        if not outcomes:
            return self._skip("no_channel")
        return "sent" if "sent" in outcomes else outcomes[0]

    def _stale_notice(self, job: Job, now: datetime) -> str | None:
        """Why a notice no longer holds, read from the session as it is now (None: it holds)."""
        if job.kind == templates.SERIES_ENDED:
            return None
        session = self._session(job)
        if session is None:
            return "no_session"
        if job.kind == templates.CANCELLED:
            return None if session.status == CANCELLED and _parse(job.start) > now else "stale"
        if session.status != SCHEDULED:
            return "cancelled"
        if session.start <= now:
            return "started"
        if job.kind == templates.MOVED and job.new_start != _iso(session.start):
            return "moved_again"
        if job.member_id not in (session.going or set()):
            return "not_going"
        return None

    @staticmethod
    def _quiet_until(prefs: preferences.ReminderPreferences, tz: str, now: datetime) -> datetime | None:
        """When the member's quiet hours end, if `now` is inside them."""
        quiet = prefs.quiet_hours
        if quiet is None:
            return None
        local = now.astimezone(zone(tz))
        if not quiet.contains(local.hour * 60 + local.minute):
            return None
        _start, end = quiet.minutes()
        ends = local.replace(hour=end // 60, minute=end % 60, second=0, microsecond=0)
        if ends <= local:
            ends += timedelta(days=1)
        return recurrence.local_to_utc(ends.replace(tzinfo=None), tz)

    def _defer(self, job: Job, until: datetime, now: datetime) -> str:
        delay = max(0, min(MAX_DELAY_SECONDS, int((until - now).total_seconds())))
        self.queue.send([job], delay_seconds=delay)
        count("reminders_deferred")
        return "deferred"

    def _deliver(self, job: Job, member: MemberItem, channel: str, start: datetime, now: datetime) -> str:
        sealed = member.phone_enc if channel == "sms" else member.email_enc
        if sealed is None:
            return self._skip("no_contact")
        try:
            claim = self.ledger.claim(
                job.member_id, job.subject, channel, job.what, now, keep_until=start + LEDGER_KEPT
            )
        except AlreadySentError:
            return self._skip("duplicate")
        link = f"{self.base_url}/g/{job.group_id}"
        new_start = _parse(job.new_start) if job.new_start else None
        minutes_left = int((start - now).total_seconds() // 60)
        if job.kind == templates.REMINDER:
            pacing = pace.sending(pace.REMINDER, deadline=start - DELIVERY_MARGIN)
        else:
            pacing = pace.sending(pace.NOTICE)
        try:
            with pacing:
                self._send(job, member, channel, sealed, start, link, new_start, minutes_left)
        except TooLateError:
            self.ledger.release(claim)
            return self._drop_late(job, channel, start, now)
        except PacedLaterError as exc:  # no turn yet, or the provider throttled: back at the next turn
            self.ledger.release(claim)
            if job.kind == templates.REMINDER and exc.retry_at >= start - DELIVERY_MARGIN:
                return self._drop_late(job, channel, start, now)
            count("reminders_paced", reason=str(exc))
            return self._defer(job, exc.retry_at, now)
        except TransientSendError:
            self.ledger.release(claim)
            count("reminders_failed", reason="transient")
            raise
        except ConfigurationSendError as exc:
            self.ledger.release(claim)  # nobody's state changes; the message comes back
            count(MISCONFIGURED)
            count("reminders_failed", reason="configuration")
            logger().error(
                "sending is misconfigured", extra={"channel": channel, "kind": job.kind, "error": str(exc)}
            )
            raise
        except PermanentSendError as exc:
            self.ledger.mark_sent(claim, now)  # never retried
            if exc.bad_address:
                self.members.contact_unusable(member, channel, "opted_out" if exc.opted_out else "pending")
            count("reminders_failed", reason="permanent")
            logger().warning(
                "send failed for good", extra={"channel": channel, "kind": job.kind, "error": str(exc)}
            )
            return "skipped:permanent_error"
        self.ledger.mark_sent(claim, now)
        count("reminders_sent", channel=channel)
        return "sent"

    @staticmethod
    def _drop_late(job: Job, channel: str, start: datetime, now: datetime) -> str:
        count(DROPPED_LATE)
        logger().warning(
            "reminder dropped: it could only arrive after the session starts",
            extra={
                "channel": channel,
                "kind": job.kind,
                "lead": job.lead,
                "seconds_to_start": int((start - now).total_seconds()),
            },
        )
        return "skipped:too_late"

    def _send(
        self,
        job: Job,
        member: MemberItem,
        channel: str,
        sealed: bytes,
        start: datetime,
        link: str,
        new_start: datetime | None,
        minutes_left: int,
    ) -> None:
        if channel == "sms":
            text = templates.sms(
                job.kind,
                label=job.label,
                start=start,
                tz=member.timezone,
                link=link,
                lead=job.lead,
                new_start=new_start,
                minutes_left=minutes_left,
            )
            self.outbound().sms(crypto.open_sealed("phone", sealed), text)
        else:
            unsubscribe = f"{self.base_url}/v1/unsubscribe/{unsubscribe_token(job.group_id, job.member_id)}"
            mail = templates.email(
                job.kind,
                label=job.label,
                start=start,
                tz=member.timezone,
                link=link,
                unsubscribe=unsubscribe,
                lead=job.lead,
                new_start=new_start,
                minutes_left=minutes_left,
            )
            self.outbound().email(
                crypto.open_sealed("email", sealed),
                mail.subject,
                mail.text,
                mail.html,
                headers={
                    "List-Unsubscribe": f"<{unsubscribe}>",
                    "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                },
            )


class QueuedNotices:
    """Tells members what changed, through the reminder queue.

    Notices are first owed (bodies written with the change they describe), then queued
    with `deliver`; the worker re-checks each when it is sent.
    """

    def __init__(self, queue: ReminderQueue, labels: Callable[[str], str]) -> None:
        self.queue = queue
        self.labels = labels

    def _bodies(
        self,
        kind: str,
        session: SessionItem,
        member_ids: Iterable[str],
        *,
        start: datetime | None = None,
        new_start: datetime | None = None,
    ) -> list[str]:
        members = sorted(member_ids)
        if not members:
            return []
        label = self.labels(session.group_id)
        return [
            Job(
                kind=kind,
                member_id=member_id,
                group_id=session.group_id,
                subject=session.session_id,
                start=_iso(start or session.start),
                label=label,
                new_start=None if new_start is None else _iso(new_start),
                sequence=int(session.sequence or 0),
            ).to_json()
            for member_id in members
        ]

    def cancelled(self, session: SessionItem, member_ids: set[str]) -> list[str]:
        return self._bodies(templates.CANCELLED, session, member_ids)

    def moved(self, session: SessionItem, member_ids: set[str]) -> list[str]:
        return self._bodies(
            templates.MOVED, session, member_ids, start=session.original_start, new_start=session.start
        )

    def promoted(self, session: SessionItem, member_ids: set[str]) -> list[str]:
        return self._bodies(templates.PROMOTED, session, member_ids)

    def series_ended(self, series: SeriesItem, member_ids: set[str], at: datetime) -> list[str]:
        label = self.labels(series.group_id)
        return [
            Job(
                kind=templates.SERIES_ENDED,
                member_id=member_id,
                group_id=series.group_id,
                subject=series.series_id,
                start=_iso(at),
                label=label,
                sequence=int(series.sequence or 0),
            ).to_json()
            for member_id in sorted(member_ids)
        ]

    @staticmethod
    def is_for(body: str, member_id: str) -> bool:
        """Whether an owed notice is a promotion of `member_id` (withdrawn when they leave)."""
        job = Job.from_json(body)
        return job.kind == templates.PROMOTED and job.member_id == member_id

    def deliver(self, bodies: list[str]) -> None:
        """Queue owed notices; `DependencyError` if the queue refuses (they stay owed)."""
        jobs = [Job.from_json(body) for body in bodies]
        self.queue.send(jobs)
        for kind in sorted({job.kind for job in jobs}):
            count("notices_enqueued", sum(1 for job in jobs if job.kind == kind), kind=kind)
