"""Sessions: listing them in a window, one session, its attendance and join link, and
cancelling or moving one occurrence (an exception row, iCalendar RECURRENCE-ID style).

Series live in `series.py`, RSVPs in `rsvps.py`; what they share in `occurrences.py`.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from chalicelib.domain import recurrence
from chalicelib.domain.identity import Caller
from chalicelib.errors import (
    ConflictError,
    ForbiddenError,
    GoneError,
    NotFoundError,
    TooEarlyError,
    ValidationError,
)
from chalicelib.observability import count
from chalicelib.responses import Attendance, GoingEntry, NextSession, Session, SessionList, WaitlistEntry
from chalicelib.services.groups import GroupService
from chalicelib.services.occurrences import (
    HORIZON,
    MAX_MOVE,
    Clock,
    NoNotices,
    Occurrence,
    SessionNotices,
    deliver,
    find,
    member_of,
    moved_from,
    recurrence_error,
    session_view,
    utcnow,
)
from chalicelib.services.series import MAX_ACTIVE_SERIES
from chalicelib.store.groups import GroupItem
from chalicelib.store.members import MemberRepository
from chalicelib.store.sessions import (
    CANCELLED,
    SCHEDULED,
    SeriesItem,
    SeriesRepository,
    SessionRepository,
)

MAX_WINDOW = timedelta(days=366)
DEFAULT_WINDOW = timedelta(days=30)
JOIN_OPENS = timedelta(minutes=15)
# Bounded work per request: the sessions one answer carries, and those read for a group's next one.
MAX_SESSIONS_PER_PAGE = 200  # a page ends before a start time; `next` is where the next begins
NEXT_SESSION_READ = 2 * MAX_ACTIVE_SERIES  # stored sessions read to find a group's next one


class UpcomingSessions:
    """A group's next scheduled session, for the group's own view."""

    def __init__(self, sessions: SessionRepository | None = None, clock: Clock = utcnow) -> None:
        self.sessions = sessions or SessionRepository()
        self.clock = clock

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
            session_id=first.session_id,
            start=first.start,
            start_local=recurrence.format_start_local(local),
            timezone=first.timezone,
        )


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

    def get_session(self, caller: Caller, session_id: str) -> Session:
        occurrence, _group = self._visible_occurrence(caller, session_id)
        return session_view(caller, occurrence)

    def list_sessions(
        self, caller: Caller, group_id: str, start: datetime | None, end: datetime | None
    ) -> SessionList:
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
        return SessionList(sessions=[session_view(caller, o) for o in page], next=next_from)

    def occurrences(self, group_id: str, start: datetime, end: datetime) -> list[Occurrence]:
        """Every session of a group starting in [start, end), stored exceptions applied."""
        all_series = {item.series_id: item for item in self.series.for_group(group_id)}
        stored = {
            (item.series_id, item.original_start): item
            for item in self.sessions.in_group(group_id, start - MAX_MOVE, end + MAX_MOVE)
        }
        found: dict[tuple[str, datetime], Occurrence] = {}
        for series in all_series.values():
            for occurrence in self._expand(series, start, end):
                key = (series.series_id, occurrence.original_start)
                found[key] = Occurrence(series, occurrence.original_start, stored.get(key))
        for key, item in stored.items():
            owner = all_series.get(key[0])
            shown = item.status == CANCELLED or bool(item.moved)  # moved in, or cancelled when it ended
            if owner is not None and key not in found and shown and start <= item.start < end:
                found[key] = Occurrence(owner, key[1], item)
        listed = [o for o in found.values() if start <= o.start < end]
        return sorted(listed, key=lambda o: (o.start, o.series.series_id))

    @staticmethod
    def _expand(series: SeriesItem, start: datetime, end: datetime) -> list[recurrence.Occurrence]:
        if series.ended_at is not None:
            end = min(end, series.ended_at)
        first = recurrence.parse_start_local(series.start_local)
        return recurrence.expand(first, series.timezone, series.rrule, start, end) if end > start else []

    def _visible_occurrence(self, caller: Caller, session_id: str) -> tuple[Occurrence, GroupItem]:
        occurrence = find(self.series, self.sessions, session_id)
        group = self.groups.visible(caller, occurrence.series.group_id)
        return occurrence, group

    def cancel_session(self, caller: Caller, session_id: str) -> Session:
        occurrence = find(self.series, self.sessions, session_id)
        self.groups.managed(caller, occurrence.series.group_id)
        if occurrence.start <= self.clock():
            raise ConflictError("This session has already started.", code="session_past")
        item = self.sessions.cancel(
            occurrence.series, occurrence.session_id, occurrence.original_start, self.notices.cancelled
        )
        # a retry after a failed queueing delivers what is still owed
        deliver(self.notices, self.sessions, item)
        if occurrence.status != CANCELLED:
            count("sessions_cancelled")
        return session_view(caller, replace(occurrence, item=item))

    def move_session(
        self, caller: Caller, session_id: str, start_local: str | None, duration_minutes: int | None
    ) -> Session:
        occurrence = find(self.series, self.sessions, session_id)
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
                raise recurrence_error(exc) from exc
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
            lambda after, members: self.notices.moved(moved_from(after, occurrence.original_start), members),
        )
        deliver(self.notices, self.sessions, item)
        count("sessions_moved")
        return session_view(caller, replace(occurrence, item=item))

    def attendance(self, caller: Caller, session_id: str) -> Attendance:
        """Who is going (by handle) and the waitlist in its order, for the group's facilitators."""
        occurrence = find(self.series, self.sessions, session_id, consistent=True)
        group_id = occurrence.series.group_id
        self.groups.managed(caller, group_id)
        going, waitlist = occurrence.going, occurrence.waitlist
        found = self.members.many(group_id, going | set(waitlist))
        people = [
            GoingEntry(member_id=member_id, handle=found[member_id].handle)
            for member_id in going
            if member_id in found
        ]
        queue = [member_id for member_id in waitlist if member_id in found]
        return Attendance(
            going=sorted(people, key=lambda person: person.handle.casefold()),
            waitlist=[
                WaitlistEntry(member_id=member_id, handle=found[member_id].handle, position=position)
                for position, member_id in enumerate(queue, start=1)
            ],
        )

    def join_link(self, caller: Caller, session_id: str) -> str:
        member_id = member_of(caller)
        occurrence = find(self.series, self.sessions, session_id, consistent=True)
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

    def deliver_owed(self) -> int:
        """Queue every notice still owed (a change whose queueing failed); run every minute."""
        delivered = 0
        for item in self.sessions.with_owed():
            owed = len(item.owed or ())
            deliver(self.notices, self.sessions, item)
            delivered += owed
        return delivered
