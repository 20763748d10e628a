"""Recurring sessions: series, the sessions they produce, exceptions, RSVPs and join links.

Sessions are computed from a series' rule for any window; a session item exists
only where something is known about one occurrence (materialised for reminders,
RSVPs, a cancellation or a move). A session's id is derived from its series and
original start, so it can be RSVP'd, cancelled or moved whether or not it was
ever stored. "This and following" edits split a series in two.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Protocol

from chalicelib.domain import recurrence
from chalicelib.domain.identity import Caller, Role
from chalicelib.errors import (
    ConflictError,
    DependencyError,
    ForbiddenError,
    GoneError,
    NotFoundError,
    TooEarlyError,
    ValidationError,
)
from chalicelib.ids import new_id
from chalicelib.observability import count
from chalicelib.services.groups import GroupService
from chalicelib.store import keys
from chalicelib.store.groups import GroupItem
from chalicelib.store.members import MemberRepository
from chalicelib.store.sessions import (
    ACTIVE,
    CANCELLED,
    ENDED,
    SCHEDULED,
    SeriesItem,
    SeriesRepository,
    SessionItem,
    SessionRepository,
    index_actions,
    schedulable,
    seats_free,
)

HORIZON = timedelta(weeks=8)  # sessions materialised ahead, for reminders
MAX_WINDOW = timedelta(days=366)
DEFAULT_WINDOW = timedelta(days=30)
MAX_MOVE = timedelta(days=30)  # a moved session stays within this of its original start
JOIN_OPENS = timedelta(minutes=15)
NEXT_SESSIONS = 5
# Bounded work per request: a group's active series, and the sessions one answer carries.
MAX_ACTIVE_SERIES = 10  # support groups meet a few times a week; this bounds every expansion
MAX_SESSIONS_PER_PAGE = 200  # a page ends before a start time; `next` is where the next begins
NEXT_SESSION_READ = 2 * MAX_ACTIVE_SERIES  # stored sessions read to find a group's next one
DEFAULT_TITLE = "Group session"

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    return datetime.now(UTC)


class SessionNotices(Protocol):
    """What members are told of a change to a session, as queue message bodies.

    A change owes its notices: they are written with the change (on the session item)
    and `deliver` queues them afterwards; until it succeeds they stay owed.
    """

    def cancelled(self, session: SessionItem, member_ids: set[str]) -> list[str]: ...

    def moved(self, session: SessionItem, member_ids: set[str]) -> list[str]: ...

    def promoted(self, session: SessionItem, member_ids: set[str]) -> list[str]: ...

    def series_ended(self, series: SeriesItem, member_ids: set[str], at: datetime) -> list[str]: ...

    def is_for(self, body: str, member_id: str) -> bool: ...

    def deliver(self, bodies: list[str]) -> None: ...


class NoNotices:
    """Tells nobody; used where no delivery is wired (unit tests, tools)."""

    def cancelled(self, session: SessionItem, member_ids: set[str]) -> list[str]:
        return []

    def moved(self, session: SessionItem, member_ids: set[str]) -> list[str]:
        return []

    def promoted(self, session: SessionItem, member_ids: set[str]) -> list[str]:
        return []

    def series_ended(self, series: SeriesItem, member_ids: set[str], at: datetime) -> list[str]:
        return []

    def is_for(self, body: str, member_id: str) -> bool:
        return False

    def deliver(self, bodies: list[str]) -> None:
        return None


@dataclass(frozen=True)
class SessionView:
    session_id: str
    series_id: str
    group_id: str
    title: str
    start: datetime
    end: datetime
    start_local: str
    timezone: str
    status: str
    capacity: int | None
    going: int
    waitlisted: int
    my_rsvp: str | None
    position: int | None


@dataclass(frozen=True)
class SessionPage:
    sessions: list[SessionView]
    next: datetime | None  # pass as `from` (same `to`) for the rest of the window


@dataclass(frozen=True)
class NextSession:
    session_id: str
    start: datetime
    start_local: str
    timezone: str


@dataclass(frozen=True)
class SeriesView:
    series_id: str
    group_id: str
    title: str
    start_local: str
    timezone: str
    duration_minutes: int
    rrule: str
    capacity: int | None
    conference_url: str | None
    status: str
    next_sessions: list[SessionView] | None = None


@dataclass(frozen=True)
class SeriesChanges:
    title: str | None = None
    start_local: str | None = None
    timezone: str | None = None
    duration_minutes: int | None = None
    rrule: str | None = None
    capacity: int | None = None
    capacity_set: bool = False
    conference_url: str | None = None
    conference_url_set: bool = False

    @property
    def reshapes(self) -> bool:
        """Whether the change moves occurrences (and so must split the series)."""
        return any(v is not None for v in (self.start_local, self.timezone, self.rrule))


@dataclass(frozen=True)
class Rsvp:
    status: str
    position: int | None = None


def _moved_from(after: SessionItem, original_start: datetime) -> SessionItem:
    """A moved notice names the start members knew (the original) and the new one."""
    after.original_start = original_start
    return after


@dataclass(frozen=True)
class Attendee:
    member_id: str
    handle: str
    position: int | None = None


@dataclass(frozen=True)
class Attendance:
    going: list[Attendee]
    waitlist: list[Attendee]


def _recurrence_error(exc: recurrence.RecurrenceError) -> ValidationError:
    return ValidationError({exc.field: exc.message})


@dataclass(frozen=True)
class _Occurrence:
    series: SeriesItem
    original_start: datetime
    item: SessionItem | None

    @property
    def session_id(self) -> str:
        return recurrence.session_id(self.series.series_id, self.original_start)

    @property
    def start(self) -> datetime:
        return self.item.start if self.item is not None else self.original_start

    @property
    def duration(self) -> int:
        if self.item is not None and self.item.moved and self.item.duration_minutes is not None:
            return int(self.item.duration_minutes)
        return int(self.series.duration_minutes)

    @property
    def status(self) -> str:
        return self.item.status if self.item is not None and self.item.status else SCHEDULED

    @property
    def going(self) -> set[str]:
        return set(self.item.going or ()) if self.item is not None else set()

    @property
    def waitlist(self) -> list[str]:
        return list(self.item.waitlist or ()) if self.item is not None else []


class SessionService:
    def __init__(
        self,
        groups: GroupService | None = None,
        series: SeriesRepository | None = None,
        sessions: SessionRepository | None = None,
        notices: SessionNotices | None = None,
        clock: Clock = utcnow,
        members: MemberRepository | None = None,
    ) -> None:
        self.groups = groups or GroupService()
        self.series = series or SeriesRepository()
        self.sessions = sessions or SessionRepository()
        self.members = members or MemberRepository()
        self.notices = notices or NoNotices()
        self.clock = clock

    # --- series --------------------------------------------------------------------------

    def _checked(
        self, start_local: str, timezone: str, rrule: str, duration_minutes: int
    ) -> tuple[datetime, recurrence.Rule]:
        try:
            start = recurrence.parse_start_local(start_local)
            recurrence.zone(timezone)
            rule = recurrence.parse_rrule(rrule)
            recurrence.validate_series(start, timezone, rule, duration_minutes)
        except recurrence.RecurrenceError as exc:
            raise _recurrence_error(exc) from exc
        return start, rule

    def create_series(
        self,
        caller: Caller,
        group_id: str,
        *,
        title: str | None,
        start_local: str,
        timezone: str,
        duration_minutes: int,
        rrule: str,
        capacity: int | None,
        conference_url: str | None,
    ) -> SeriesView:
        group = self.groups.managed(caller, group_id)
        start, rule = self._checked(start_local, timezone, rrule, duration_minutes)
        active = [series for series in self.series.for_group(group_id) if series.ended_at is None]
        if len(active) >= MAX_ACTIVE_SERIES:  # a bound on work, not an invariant: read, then write
            raise ConflictError(
                f"A group can run at most {MAX_ACTIVE_SERIES} series at once; end one first.",
                code="too_many_series",
            )
        item = self._new_series(
            group,
            title=title or DEFAULT_TITLE,
            start=start,
            timezone=timezone,
            duration_minutes=duration_minutes,
            rule=rule,
            capacity=capacity,
            conference_url=conference_url,
        )
        count("series_created")
        return self.series_view(caller, item, with_next=True)

    def _new_series(
        self,
        group: GroupItem,
        *,
        title: str,
        start: datetime,
        timezone: str,
        duration_minutes: int,
        rule: recurrence.Rule,
        capacity: int | None,
        conference_url: str | None,
        lineage: str | None = None,
    ) -> SeriesItem:
        item = self.series.new_item(
            new_id("ser"),
            group.group_id,
            title=title,
            start_local=recurrence.format_start_local(start),
            timezone=timezone,
            duration_minutes=duration_minutes,
            rrule=rule.text,
            capacity=capacity,
            conference_url=conference_url,
            status=ACTIVE,
            sequence=0,
            lineage=lineage,
            updated_at=self.clock(),
        )
        item.gsi2pk = keys.ACTIVE_SERIES
        item.gsi2sk = item.series_id
        self.series.create(item)
        self.materialise(item, self.clock() + HORIZON)
        return item

    def list_series(self, caller: Caller, group_id: str) -> list[SeriesView]:
        self.groups.inside(caller, group_id)
        return [self.series_view(caller, item, with_next=True) for item in self.series.for_group(group_id)]

    def _series_for(self, caller: Caller, series_id: str) -> tuple[SeriesItem, GroupItem]:
        item = self.series.get(series_id)
        if item is None:
            raise NotFoundError("No such series.")
        return item, self.groups.managed(caller, item.group_id)

    def update_series(
        self, caller: Caller, series_id: str, changes: SeriesChanges, effective_from: datetime | None
    ) -> SeriesView:
        """Change this and following sessions.

        Title, duration, capacity and link change in place. A change to when sessions
        happen (start, zone, rule) applies from `effective_from` (default now): in place
        if no session has happened yet, otherwise by ending this series there and starting
        a new one. People going to a session that moves keep their place when the new
        shape has a session on the same local date, and are told; otherwise told it is off.
        """
        item, group = self._series_for(caller, series_id)
        if item.status != ACTIVE:
            raise ConflictError("This series has ended.", code="series_ended")
        now = self.clock()
        duration = changes.duration_minutes or int(item.duration_minutes)
        capacity = changes.capacity if changes.capacity_set else item.capacity
        conference_url = changes.conference_url if changes.conference_url_set else item.conference_url
        title = changes.title or item.title
        timezone = changes.timezone or item.timezone
        simple = [
            SeriesItem.title.set(title),
            SeriesItem.duration_minutes.set(duration),
            SeriesItem.sequence.add(1),
            SeriesItem.updated_at.set(now),
            SeriesItem.capacity.set(capacity) if capacity is not None else SeriesItem.capacity.remove(),
            SeriesItem.conference_url.set(conference_url)
            if conference_url is not None
            else SeriesItem.conference_url.remove(),
        ]
        if not changes.reshapes:
            self._checked(item.start_local, item.timezone, item.rrule, duration)
            self.series.update(item, simple)
            if changes.capacity_set:
                self._promote_all(item, now)
            return self.series_view(caller, item, with_next=True)

        split_at = max(effective_from or now, now)
        old_start = recurrence.parse_start_local(item.start_local)
        first = recurrence.first_occurrence(old_start, item.timezone, item.rrule)
        if changes.start_local is None:
            following = recurrence.next_occurrence(old_start, item.timezone, item.rrule, split_at)
            if following is None:
                raise ConflictError("No sessions are left to change.", code="nothing_left")
            anchor = recurrence.nominal_local(following.original_start, item.timezone, old_start)
            start_local = recurrence.format_start_local(anchor)
        else:
            start_local = changes.start_local
        new_start, new_rule = self._checked(start_local, timezone, changes.rrule or item.rrule, duration)
        if recurrence.local_to_utc(new_start, timezone) < now:
            raise ValidationError({"start_local": "The changed sessions must start in the future."})

        if first is None or first.start >= split_at:
            before = self.sessions.in_series(item.series_id, split_at - MAX_MOVE)
            self.series.update(
                item,
                [
                    *simple,
                    SeriesItem.start_local.set(recurrence.format_start_local(new_start)),
                    SeriesItem.timezone.set(timezone),
                    SeriesItem.rrule.set(new_rule.text),
                    SeriesItem.materialised_until.remove(),
                ],
            )
            self._carry_over(before, item, split_at)
            self.materialise(item, now + HORIZON)
            return self.series_view(caller, item, with_next=True)

        before = self.sessions.in_series(item.series_id, split_at - MAX_MOVE)
        self._end(item, split_at, reason="split", notify=False)
        successor = self._new_series(
            group,
            title=title,
            start=new_start,
            timezone=timezone,
            duration_minutes=duration,
            rule=new_rule,
            capacity=capacity,
            conference_url=conference_url,
            lineage=item.lineage or item.series_id,
        )
        self._carry_over(before, successor, split_at)
        return self.series_view(caller, successor, with_next=True)

    def _carry_over(self, stored: list[SessionItem], target: SeriesItem, since: datetime) -> None:
        """Retire stored sessions from `since` on that the new shape no longer has.

        Each is cancelled by one write that also reads who was in it at that moment (an
        RSVP after it is refused), so nobody is lost. Its members move to `target`'s
        session on the same local date when there is one, within its capacity (the rest
        wait, in order); otherwise they are told it is cancelled.
        """
        start = recurrence.parse_start_local(target.start_local)
        pending = [s for s in stored if s.original_start >= since and s.status == SCHEDULED]
        if not pending:
            return
        horizon = max(s.original_start for s in pending) + timedelta(days=2)
        by_date = {
            occurrence.start_local.date(): occurrence
            for occurrence in recurrence.expand(start, target.timezone, target.rrule, since, horizon)
        }
        for old in pending:
            if old.series_id == target.series_id and self.is_occurrence(target, old.original_start):
                continue  # still a session of the new shape
            found = by_date.get(recurrence.utc_to_local(old.original_start, target.timezone).date())
            owner = target if old.series_id == target.series_id else self.series.get(old.series_id) or target
            retired = self.sessions.cancel(
                owner, old.session_id, old.original_start, self.notices.cancelled if found is None else None
            )
            self._deliver(retired)
            if found is None or retired is None:
                continue
            going, waitlist = set(retired.going or ()), list(retired.waitlist or ())
            if not (going or waitlist):
                continue
            moved = self.sessions.carry_in(
                target,
                recurrence.session_id(target.series_id, found.original_start),
                found.original_start,
                going,
                waitlist,
                tell_moved=lambda after, members, old=old: self.notices.moved(
                    _moved_from(after, old.original_start), members
                ),
                tell_lost=lambda _after, members, retired=retired: self.notices.cancelled(retired, members),
            )
            self._deliver(moved)

    def _promote_all(self, item: SeriesItem, now: datetime) -> None:
        """After a capacity change, seat waiting members wherever seats are now free."""
        for session in self.sessions.in_series(item.series_id, now - MAX_MOVE):
            if session.start > now and session.waitlist:
                promoted = self.sessions.promote(
                    item, session.session_id, session.original_start, self.notices.promoted
                )
                self._deliver(promoted)

    def _deliver(self, item: SessionItem | None) -> None:
        """Queue the notices a change owes now; if the queue fails they stay owed for the next drain."""
        if item is None or not item.owed:
            return
        bodies = list(item.owed)
        try:
            self.notices.deliver(bodies)
        except DependencyError:
            count("notices_deferred", len(bodies))
            return
        try:
            self.sessions.settle(item, bodies)
        except DependencyError:
            count("notices_unsettled", len(bodies))  # queued twice at worst; the ledger sends once

    def deliver_owed(self) -> int:
        """Queue every notice still owed (a change whose queueing failed); run every minute."""
        delivered = 0
        for item in self.sessions.with_owed():
            owed = len(item.owed or ())
            self._deliver(item)
            delivered += owed
        return delivered

    def end_series(self, caller: Caller, series_id: str) -> None:
        item, _group = self._series_for(caller, series_id)
        if item.status == ACTIVE:
            self._end(item, self.clock(), reason="ended")

    def _end(self, item: SeriesItem, at: datetime, *, reason: str, notify: bool = True) -> None:
        """Stop `item` before `at`: its rule keeps only earlier sessions; stored later ones are cancelled."""
        start = recurrence.parse_start_local(item.start_local)
        kept = recurrence.truncate_before(item.rrule, start, item.timezone, at)
        actions = [
            SeriesItem.sequence.add(1),
            SeriesItem.gsi2pk.remove(),
            SeriesItem.gsi2sk.remove(),
            SeriesItem.status.set(ENDED),
            SeriesItem.ended_at.set(at),
            SeriesItem.updated_at.set(self.clock()),
        ]
        if kept is not None:
            actions.append(SeriesItem.rrule.set(kept.text))
        self.series.update(item, actions)
        for session in self.sessions.in_series(item.series_id, at - MAX_MOVE):
            if session.start >= at and session.status == SCHEDULED:
                # every member going is owed one "series ended" notice; the ledger keeps it to one
                # per member however many of their sessions carry it
                tell = (
                    (lambda _after, members: self.notices.series_ended(item, members, at)) if notify else None
                )
                self._deliver(self.sessions.cancel(item, session.session_id, session.original_start, tell))
        count("series_" + reason)

    # --- materialising ---------------------------------------------------------------------

    def materialise(self, item: SeriesItem, until: datetime) -> int:
        """Store the sessions of `item` starting before `until` so the reminder sweep finds them."""
        now = self.clock()
        since = item.materialised_until or now
        start = recurrence.parse_start_local(item.start_local)
        written = 0
        for occurrence in recurrence.expand(start, item.timezone, item.rrule, max(since, now), until):
            session_id = recurrence.session_id(item.series_id, occurrence.original_start)
            actions = SessionRepository.identity_actions(
                item, session_id, occurrence.original_start
            ) + index_actions(session_id, occurrence.original_start)
            try:
                self.sessions.write(
                    item.series_id,
                    occurrence.original_start,
                    actions,
                    SessionItem.pk.does_not_exist()
                    | ((SessionItem.status == SCHEDULED) & (SessionItem.moved == 0)),
                    lambda: ConflictError("changed"),
                )
                written += 1
            except ConflictError:
                continue  # cancelled or moved meanwhile: its own index entry stands
        self.series.update(item, [SeriesItem.materialised_until.set(until)])
        return written

    def extend_horizon(self) -> int:
        """The daily job: materialise every active series up to the rolling horizon."""
        until = self.clock() + HORIZON
        written = 0
        for item in self.series.active():
            written += self.materialise(item, until)
        return written

    # --- sessions --------------------------------------------------------------------------

    @staticmethod
    def _parse(session_id: str) -> tuple[str, datetime]:
        try:
            return recurrence.parse_session_id(session_id)
        except ValueError as exc:
            raise NotFoundError("No such session.") from exc

    def _occurrence(self, session_id: str, consistent: bool = False) -> _Occurrence:
        series_id, original = self._parse(session_id)
        item = self.series.get(series_id)
        if item is None:
            raise NotFoundError("No such session.")
        stored = self.sessions.get(series_id, original, consistent=consistent)
        if stored is None and not self.is_occurrence(item, original):
            raise NotFoundError("No such session.")
        return _Occurrence(item, original, stored)

    @staticmethod
    def is_occurrence(item: SeriesItem, original: datetime) -> bool:
        if item.ended_at is not None and original >= item.ended_at:
            return False
        start = recurrence.parse_start_local(item.start_local)
        found = recurrence.expand(start, item.timezone, item.rrule, original, original + timedelta(minutes=1))
        return any(occurrence.original_start == original for occurrence in found)

    def _visible_occurrence(self, caller: Caller, session_id: str) -> tuple[_Occurrence, GroupItem]:
        occurrence = self._occurrence(session_id)
        group = self.groups.visible(caller, occurrence.series.group_id)
        return occurrence, group

    def view(self, caller: Caller, occurrence: _Occurrence) -> SessionView:
        start = occurrence.start
        going, waitlist = occurrence.going, occurrence.waitlist
        mine = None
        position = None
        if caller.role is Role.MEMBER and caller.subject_id:
            if caller.subject_id in going:
                mine = "going"
            elif caller.subject_id in waitlist:
                mine = "waitlisted"
                position = waitlist.index(caller.subject_id) + 1
        series = occurrence.series
        return SessionView(
            session_id=occurrence.session_id,
            series_id=series.series_id,
            group_id=series.group_id,
            title=series.title,
            start=start,
            end=start + timedelta(minutes=occurrence.duration),
            start_local=recurrence.format_start_local(recurrence.utc_to_local(start, series.timezone)),
            timezone=series.timezone,
            status=occurrence.status,
            capacity=None if series.capacity is None else int(series.capacity),
            going=len(going),
            waitlisted=len(waitlist),
            my_rsvp=mine,
            position=position,
        )

    def attendance(self, caller: Caller, session_id: str) -> Attendance:
        """Who is going (by handle) and the waitlist in its order, for the group's facilitators."""
        occurrence = self._occurrence(session_id, consistent=True)
        group_id = occurrence.series.group_id
        self.groups.managed(caller, group_id)
        going, waitlist = occurrence.going, occurrence.waitlist
        found = self.members.many(group_id, going | set(waitlist))
        people = [Attendee(member_id, found[member_id].handle) for member_id in going if member_id in found]
        queue = [member_id for member_id in waitlist if member_id in found]
        return Attendance(
            going=sorted(people, key=lambda person: person.handle.casefold()),
            waitlist=[
                Attendee(member_id, found[member_id].handle, position)
                for position, member_id in enumerate(queue, start=1)
            ],
        )

    def get_session(self, caller: Caller, session_id: str) -> SessionView:
        occurrence, _group = self._visible_occurrence(caller, session_id)
        return self.view(caller, occurrence)

    def list_sessions(
        self, caller: Caller, group_id: str, start: datetime | None, end: datetime | None
    ) -> SessionPage:
        now = self.clock()
        start = start or now
        end = end or start + DEFAULT_WINDOW
        if end <= start:
            raise ValidationError({"to": "`to` must be after `from`."})
        if end - start > MAX_WINDOW:
            raise ValidationError({"to": "A window may span at most 366 days."})
        self.groups.visible(caller, group_id)
        found = self.occurrences(group_id, start, end)
        page, next_from = found, None
        if len(found) > MAX_SESSIONS_PER_PAGE:  # cut before a start time, so `next` repeats none
            next_from = found[MAX_SESSIONS_PER_PAGE].start
            page = [o for o in found[:MAX_SESSIONS_PER_PAGE] if o.start < next_from]
        return SessionPage([self.view(caller, o) for o in page], next_from)

    def occurrences(self, group_id: str, start: datetime, end: datetime) -> list[_Occurrence]:
        """Every session of a group starting in [start, end), stored exceptions applied."""
        all_series = {item.series_id: item for item in self.series.for_group(group_id)}
        stored = {
            (item.series_id, item.original_start): item
            for item in self.sessions.in_group(group_id, start - MAX_MOVE, end + MAX_MOVE)
        }
        found: dict[tuple[str, datetime], _Occurrence] = {}
        for series in all_series.values():
            for occurrence in self._expand(series, start, end):
                key = (series.series_id, occurrence.original_start)
                found[key] = _Occurrence(series, occurrence.original_start, stored.get(key))
        for key, item in stored.items():
            series = all_series.get(key[0])
            shown = item.status == CANCELLED or bool(item.moved)  # moved in, or cancelled when it ended
            if series is not None and key not in found and shown and start <= item.start < end:
                found[key] = _Occurrence(series, key[1], item)
        listed = [o for o in found.values() if start <= o.start < end]
        return sorted(listed, key=lambda o: (o.start, o.series.series_id))

    @staticmethod
    def _expand(series: SeriesItem, start: datetime, end: datetime) -> list[recurrence.Occurrence]:
        if series.ended_at is not None:
            end = min(end, series.ended_at)
        first = recurrence.parse_start_local(series.start_local)
        return recurrence.expand(first, series.timezone, series.rrule, start, end) if end > start else []

    def next_session(self, caller: Caller, group_id: str) -> NextSession | None:
        """The group's next scheduled session within the materialised horizon (one Query)."""
        now = self.clock()
        # A bounded read from now on, whatever the group stores: a directory page costs the same
        # for a group with one series as for one with ten (a session moved later from before
        # now is not shown as the next one).
        stored = self.sessions.in_group(group_id, now, now + HORIZON, limit=NEXT_SESSION_READ)
        upcoming = [
            item for item in stored if item.status == SCHEDULED and item.start > now and item.timezone
        ]
        if not upcoming:
            return None
        first = min(upcoming, key=lambda item: item.start)
        local = recurrence.utc_to_local(first.start, first.timezone)
        return NextSession(
            first.session_id, first.start, recurrence.format_start_local(local), first.timezone
        )

    def series_view(self, caller: Caller, item: SeriesItem, with_next: bool = False) -> SeriesView:
        upcoming = None
        if with_next:
            now = self.clock()
            first = recurrence.parse_start_local(item.start_local)
            upcoming = []
            cursor = now
            while len(upcoming) < NEXT_SESSIONS:
                found = recurrence.next_occurrence(first, item.timezone, item.rrule, cursor)
                if found is None or (item.ended_at is not None and found.original_start >= item.ended_at):
                    break
                upcoming.append(self.view(caller, _Occurrence(item, found.original_start, None)))
                cursor = found.original_start + timedelta(minutes=1)
        is_facilitator = caller.role is Role.FACILITATOR
        return SeriesView(
            series_id=item.series_id,
            group_id=item.group_id,
            title=item.title,
            start_local=item.start_local,
            timezone=item.timezone,
            duration_minutes=int(item.duration_minutes),
            rrule=item.rrule,
            capacity=None if item.capacity is None else int(item.capacity),
            conference_url=item.conference_url if is_facilitator else None,
            status=item.status,
            next_sessions=upcoming,
        )

    # --- exceptions ------------------------------------------------------------------------

    def cancel_session(self, caller: Caller, session_id: str) -> SessionView:
        occurrence = self._occurrence(session_id)
        self.groups.managed(caller, occurrence.series.group_id)
        if occurrence.start <= self.clock():
            raise ConflictError("This session has already started.", code="session_past")
        item = self.sessions.cancel(
            occurrence.series, occurrence.session_id, occurrence.original_start, self.notices.cancelled
        )
        self._deliver(item)  # a retry after a failed queueing delivers what is still owed
        if occurrence.status != CANCELLED:
            count("sessions_cancelled")
        return self.view(caller, replace(occurrence, item=item))

    def move_session(
        self, caller: Caller, session_id: str, start_local: str | None, duration_minutes: int | None
    ) -> SessionView:
        occurrence = self._occurrence(session_id)
        self.groups.managed(caller, occurrence.series.group_id)
        series = occurrence.series
        now = self.clock()
        if occurrence.status == CANCELLED:
            raise ConflictError("A cancelled session cannot be moved.", code="session_cancelled")
        if occurrence.start <= now:
            raise ConflictError("This session has already started.", code="session_past")
        new_start = occurrence.start
        if start_local is not None:
            try:
                new_start = recurrence.local_to_utc(
                    recurrence.parse_start_local(start_local), series.timezone
                )
            except recurrence.RecurrenceError as exc:
                raise _recurrence_error(exc) from exc
            if new_start <= now:
                raise ValidationError({"start_local": "A session can only move to the future."})
            if abs(new_start - occurrence.original_start) > MAX_MOVE:
                raise ValidationError({"start_local": "A session can move at most 30 days from its date."})
        duration = duration_minutes or occurrence.duration
        item = self.sessions.move(
            series,
            occurrence.session_id,
            occurrence.original_start,
            new_start,
            duration,
            lambda after, members: self.notices.moved(_moved_from(after, occurrence.original_start), members),
        )
        self._deliver(item)
        count("sessions_moved")
        return self.view(caller, replace(occurrence, item=item))

    # --- RSVPs ---------------------------------------------------------------------------

    def rsvp(self, caller: Caller, session_id: str) -> Rsvp:
        """Going if a seat is free, else on the waitlist; calling again changes nothing."""
        member_id = self._member_of(caller)
        series_id, original = self._parse(session_id)
        series = self.series.get(series_id)
        if series is None or series.group_id != caller.group_id:
            raise NotFoundError("No such session.")
        now = self.clock()
        if original <= now - MAX_MOVE or (
            original <= now and not self._stored_later(series_id, original, now)
        ):
            raise ConflictError("This session has already started.", code="session_past")
        if not self.is_occurrence(series, original) and self.sessions.get(series_id, original) is None:
            raise NotFoundError("No such session.")
        base = SessionRepository.identity_actions(series, session_id, original)
        fresh = (
            schedulable()
            & (SessionItem.start.does_not_exist() | (SessionItem.start > now))
            & ~SessionItem.going.contains(member_id)
            & ~SessionItem.waitlist.contains(member_id)
        )
        seat = seats_free(None if series.capacity is None else int(series.capacity))
        try:
            self.sessions.write(
                series_id,
                original,
                [*base, SessionItem.going.add({member_id})],
                fresh if seat is None else fresh & seat,
                lambda: ConflictError("refused"),
            )
            count("rsvps", status="going")
            return Rsvp("going")
        except ConflictError:
            pass
        current = self._explain(series_id, original, member_id, now)
        if current is not None:
            return current
        try:
            item = self.sessions.write(
                series_id,
                original,
                [*base, SessionItem.waitlist.set((SessionItem.waitlist | []).append([member_id]))],
                fresh,
                lambda: ConflictError("refused"),
            )
        except ConflictError:
            current = self._explain(series_id, original, member_id, now)
            if current is not None:
                return current
            raise
        count("rsvps", status="waitlisted")
        return Rsvp("waitlisted", list(item.waitlist or ()).index(member_id) + 1)

    def _stored_later(self, series_id: str, original: datetime, now: datetime) -> bool:
        stored = self.sessions.get(series_id, original)
        return stored is not None and stored.start > now

    def _explain(self, series_id: str, original: datetime, member_id: str, now: datetime) -> Rsvp | None:
        """Why an RSVP write was refused: already in (idempotent), or a 409; None if simply full."""
        item = self.sessions.get(series_id, original, consistent=True)
        if item is None:
            return None
        if member_id in (item.going or set()):
            return Rsvp("going")
        waitlist = list(item.waitlist or ())
        if member_id in waitlist:
            return Rsvp("waitlisted", waitlist.index(member_id) + 1)
        if item.status == CANCELLED:
            raise ConflictError("This session is cancelled.", code="session_cancelled")
        if item.start <= now:
            raise ConflictError("This session has already started.", code="session_past")
        return None

    def cancel_rsvp(self, caller: Caller, session_id: str) -> None:
        """Give up a seat (the first waiting member is promoted) or a waitlist place."""
        member_id = self._member_of(caller)
        series_id, original = self._parse(session_id)
        series = self.series.get(series_id)
        if series is None or series.group_id != caller.group_id:
            raise NotFoundError("No such session.")
        self.leave(series, original, member_id)

    def leave(self, series: SeriesItem, original: datetime, member_id: str) -> None:
        """Give up a seat or a waitlist place; a freed seat goes to the waitlist head in the same write.

        A promotion of this member not yet queued is withdrawn with them.
        """
        session_id = recurrence.session_id(series.series_id, original)
        item = self.sessions.leave(
            series,
            session_id,
            original,
            member_id,
            self.notices.promoted,
            withdrawn=lambda body: self.notices.is_for(body, member_id),
        )
        self._deliver(item)

    @staticmethod
    def _member_of(caller: Caller) -> str:
        if caller.role is not Role.MEMBER or caller.subject_id is None:
            raise ForbiddenError("Only members RSVP.")
        return caller.subject_id

    def join_link(self, caller: Caller, session_id: str) -> str:
        member_id = self._member_of(caller)
        occurrence = self._occurrence(session_id, consistent=True)
        if occurrence.series.group_id != caller.group_id:
            raise NotFoundError("No such session.")
        if member_id not in occurrence.going:
            raise ForbiddenError("Only members going to this session get its link.", code="not_going")
        if occurrence.status == CANCELLED:
            raise ConflictError("This session is cancelled.", code="session_cancelled")
        now = self.clock()
        if now < occurrence.start - JOIN_OPENS:
            raise TooEarlyError("The link opens 15 minutes before the session.")
        if now >= occurrence.start + timedelta(minutes=occurrence.duration):
            raise GoneError("This session has ended.")
        if not occurrence.series.conference_url:
            raise NotFoundError("This session has no online link.")
        return occurrence.series.conference_url

    # --- erasure -------------------------------------------------------------------------

    def forget_member(self, group_id: str, member_id: str) -> None:
        """Take a member off every session of their group (erasure), promoting whoever waits."""
        everything = self.sessions.in_group(
            group_id, datetime(2000, 1, 1, tzinfo=UTC), datetime(2200, 1, 1, tzinfo=UTC)
        )
        series = {item.series_id: item for item in self.series.for_group(group_id)}
        for item in everything:
            if member_id in (item.going or set()) or member_id in (item.waitlist or []):
                owner = series.get(item.series_id)
                if owner is not None:
                    self.leave(owner, item.original_start, member_id)

    def release_member(self, group_id: str, member_id: str) -> None:
        """A removed member's seats and waitlist places in sessions still to come are given back
        (whoever waits is promoted and told), through the same path as cancelling an RSVP."""
        now = self.clock()
        series = {item.series_id: item for item in self.series.for_group(group_id)}
        for item in self.sessions.in_group(group_id, now - MAX_MOVE, datetime(2200, 1, 1, tzinfo=UTC)):
            held = member_id in (item.going or set()) or member_id in (item.waitlist or [])
            owner = series.get(item.series_id)
            if held and owner is not None and item.start > now:
                self.leave(owner, item.original_start, member_id)
