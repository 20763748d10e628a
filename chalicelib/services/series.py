"""Series: scheduling, changing ("this and following" splits), ending and materialising.

A change to when sessions happen applies from a given instant: in place while no session
has happened yet, otherwise by ending the series there and starting a successor. Members
of a session that moves keep their place when the new shape has a session on the same
local date, and are told; otherwise they are told it is off.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol

from chalicelib.domain import recurrence
from chalicelib.domain.identity import Caller, Role
from chalicelib.errors import ConflictError, NotFoundError, ValidationError
from chalicelib.ids import new_id
from chalicelib.observability import count
from chalicelib.responses import Series, Session
from chalicelib.services.groups import GroupService
from chalicelib.services.occurrences import (
    HORIZON,
    MAX_MOVE,
    Clock,
    NoNotices,
    Occurrence,
    SessionNotices,
    deliver,
    is_occurrence,
    moved_from,
    recurrence_error,
    session_view,
    utcnow,
)
from chalicelib.store.groups import GroupItem
from chalicelib.store.sessions import (
    ACTIVE,
    SCHEDULED,
    SeriesItem,
    SeriesRepository,
    SessionItem,
    SessionRepository,
    Shape,
    Tell,
)

NEXT_SESSIONS = 5
# Bounded work per request: a group's active series.
MAX_ACTIVE_SERIES = 10  # support groups meet a few times a week; this bounds every expansion
DEFAULT_TITLE = "Group session"


class SeriesChanges(Protocol):
    """A change to this and following sessions as the request gave it (the route's body).

    A field not in `model_fields_set` stays as it is; capacity and link given as null are
    removed; the others given as null stay.
    """

    @property
    def title(self) -> str | None: ...

    @property
    def start_local(self) -> str | None: ...

    @property
    def timezone(self) -> str | None: ...

    @property
    def duration_minutes(self) -> int | None: ...

    @property
    def rrule(self) -> str | None: ...

    @property
    def capacity(self) -> int | None: ...

    @property
    def conference_url(self) -> str | None: ...

    @property
    def model_fields_set(self) -> set[str]: ...


def _reshapes(changes: SeriesChanges) -> bool:
    """Whether the change moves occurrences (and so must split the series)."""
    return any(v is not None for v in (changes.start_local, changes.timezone, changes.rrule))


class SeriesService:
    def __init__(
        self,
        groups: GroupService | None = None,
        series: SeriesRepository | None = None,
        sessions: SessionRepository | None = None,
        notices: SessionNotices | None = None,
        clock: Clock = utcnow,
    ) -> None:
        self.groups = groups or GroupService()
        self.series = series or SeriesRepository()
        self.sessions = sessions or SessionRepository()
        self.notices = notices or NoNotices()
        self.clock = clock

    def _checked(
        self, start_local: str, timezone: str, rrule: str, duration_minutes: int
    ) -> tuple[datetime, recurrence.Rule]:
        try:
            start = recurrence.parse_start_local(start_local)
            recurrence.zone(timezone)
            rule = recurrence.parse_rrule(rrule)
            recurrence.validate_series(start, timezone, rule, duration_minutes)
        except recurrence.RecurrenceError as exc:
            raise recurrence_error(exc) from exc
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
    ) -> Series:
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
        self.series.create(item)
        self.materialise(item, self.clock() + HORIZON)
        return item

    def list_series(self, caller: Caller, group_id: str) -> list[Series]:
        self.groups.inside(caller, group_id)
        return [self.series_view(caller, item, with_next=True) for item in self.series.for_group(group_id)]

    def _series_for(self, caller: Caller, series_id: str) -> tuple[SeriesItem, GroupItem]:
        item = self.series.get(series_id)
        if item is None:
            raise NotFoundError("No such series.")
        return item, self.groups.managed(caller, item.group_id)

    def update_series(
        self, caller: Caller, series_id: str, changes: SeriesChanges, effective_from: datetime | None
    ) -> Series:
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
        given = changes.model_fields_set
        stored_capacity = None if item.capacity is None else int(item.capacity)
        capacity = changes.capacity if "capacity" in given else stored_capacity
        conference_url = changes.conference_url if "conference_url" in given else item.conference_url
        title = changes.title or item.title
        timezone = changes.timezone or item.timezone
        if not _reshapes(changes):
            self._checked(item.start_local, item.timezone, item.rrule, duration)
            self.series.edit(
                item,
                title=title,
                duration_minutes=duration,
                capacity=capacity,
                conference_url=conference_url,
                at=now,
            )
            if "capacity" in given:
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
            self.series.edit(
                item,
                title=title,
                duration_minutes=duration,
                capacity=capacity,
                conference_url=conference_url,
                at=now,
                shape=Shape(recurrence.format_start_local(new_start), timezone, new_rule.text),
            )
            self._carry_over(before, item, split_at)
            self.materialise(item, now + HORIZON)
            return self.series_view(caller, item, with_next=True)

        self._end(item, split_at, reason="split")
        # read once the series has ended: a session stored until then is among them
        before = self.sessions.in_series(item.series_id, split_at - MAX_MOVE)
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
            if old.series_id == target.series_id and is_occurrence(target, old.original_start):
                continue  # still a session of the new shape
            found = by_date.get(recurrence.utc_to_local(old.original_start, target.timezone).date())
            owner = target if old.series_id == target.series_id else self.series.get(old.series_id) or target
            retired = self.sessions.cancel(
                owner, old.session_id, old.original_start, self.notices.cancelled if found is None else None
            )
            deliver(self.notices, self.sessions, retired)
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
                tell_moved=self._moved_from(old.original_start),
                tell_lost=self._cancelled_as(retired),
            )
            deliver(self.notices, self.sessions, moved)

    def _moved_from(self, original: datetime) -> Tell:
        """Members carried to another session are told it moved from the start they knew."""

        def tell(after: SessionItem, members: set[str]) -> list[str]:
            return self.notices.moved(moved_from(after, original), members)

        return tell

    def _cancelled_as(self, retired: SessionItem) -> Tell:
        """Members carried without a seat are told the session they had is off."""

        def tell(_after: SessionItem, members: set[str]) -> list[str]:
            return self.notices.cancelled(retired, members)

        return tell

    def _promote_all(self, item: SeriesItem, now: datetime) -> None:
        """After a capacity change, seat waiting members wherever seats are now free."""
        for session in self.sessions.in_series(item.series_id, now - MAX_MOVE):
            if session.start > now and session.waitlist:
                promoted = self.sessions.promote(
                    item, session.session_id, session.original_start, self.notices.promoted
                )
                deliver(self.notices, self.sessions, promoted)

    def end_series(self, caller: Caller, series_id: str) -> None:
        item, _group = self._series_for(caller, series_id)
        if item.status == ACTIVE:
            self._end(item, self.clock(), reason="ended")

    def _end(self, item: SeriesItem, at: datetime, *, reason: str) -> None:
        """Stop `item` before `at`: its rule keeps only earlier sessions; stored later ones are cancelled.

        Ended, every member going is owed one "series ended" notice (the ledger keeps it to one
        per member however many of their sessions carry it). Split, the sessions from `at` on are
        left to the carry-over (moved to the new shape, or cancelled with a notice); one moved
        there from before `at` is cancelled here and its members told.
        """
        start = recurrence.parse_start_local(item.start_local)
        kept = recurrence.truncate_before(item.rrule, start, item.timezone, at)
        self.series.end(item, at, None if kept is None else kept.text, self.clock())
        split = reason == "split"
        for session in self.sessions.in_series(item.series_id, at - MAX_MOVE):
            if session.start < at or session.status != SCHEDULED or (split and session.original_start >= at):
                continue
            tell: Tell = (
                self.notices.cancelled
                if split
                else (lambda _after, members: self.notices.series_ended(item, members, at))
            )
            cancelled = self.sessions.cancel(item, session.session_id, session.original_start, tell)
            deliver(self.notices, self.sessions, cancelled)
        count("series_" + reason)

    def materialise(self, item: SeriesItem, until: datetime) -> int:
        """Store the sessions of `item` starting before `until` so the reminder sweep finds them."""
        now = self.clock()
        since = item.materialised_until or now
        start = recurrence.parse_start_local(item.start_local)
        written = 0
        for occurrence in recurrence.expand(start, item.timezone, item.rrule, max(since, now), until):
            session_id = recurrence.session_id(item.series_id, occurrence.original_start)
            if self.sessions.materialise(item, session_id, occurrence.original_start):
                written += 1
        self.series.materialised(item, until)
        return written

    def extend_horizon(self) -> int:
        """The daily job: materialise every active series up to the rolling horizon."""
        until = self.clock() + HORIZON
        written = 0
        for item in self.series.active():
            written += self.materialise(item, until)
        return written

    def series_view(self, caller: Caller, item: SeriesItem, with_next: bool = False) -> Series:
        upcoming: list[Session] | None = None
        if with_next:
            now = self.clock()
            first = recurrence.parse_start_local(item.start_local)
            upcoming = []
            cursor = now
            while len(upcoming) < NEXT_SESSIONS:
                found = recurrence.next_occurrence(first, item.timezone, item.rrule, cursor)
                if found is None or (item.ended_at is not None and found.original_start >= item.ended_at):
                    break
                upcoming.append(session_view(caller, Occurrence(item, found.original_start, None)))
                cursor = found.original_start + timedelta(minutes=1)
        is_facilitator = caller.role is Role.FACILITATOR
        return Series(
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
