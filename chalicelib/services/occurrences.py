"""What the series, session and RSVP services share: one occurrence of a series.

Sessions are computed from a series' rule for any window; a session item exists
only where something is known about one occurrence (materialised for reminders,
RSVPs, a cancellation or a move). A session's id is derived from its series and
original start, so it can be RSVP'd, cancelled or moved whether or not it was
ever stored. A change to a session owes notices to its members: they are written
with the change and delivered after it (`deliver`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from chalicelib.domain import recurrence
from chalicelib.domain.identity import Caller, Role
from chalicelib.errors import DependencyError, ForbiddenError, NotFoundError, ValidationError
from chalicelib.observability import count
from chalicelib.responses import Session
from chalicelib.store.sessions import (
    SCHEDULED,
    SeriesItem,
    SeriesRepository,
    SessionItem,
    SessionRepository,
)

MAX_MOVE = timedelta(days=30)  # a moved session stays within this of its original start
HORIZON = timedelta(weeks=8)  # sessions materialised ahead, for reminders

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
class Occurrence:
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


def parse_session_id(session_id: str) -> tuple[str, datetime]:
    try:
        return recurrence.parse_session_id(session_id)
    except ValueError as exc:
        raise NotFoundError("No such session.") from exc


def is_occurrence(item: SeriesItem, original: datetime) -> bool:
    if item.ended_at is not None and original >= item.ended_at:
        return False
    start = recurrence.parse_start_local(item.start_local)
    found = recurrence.expand(start, item.timezone, item.rrule, original, original + timedelta(minutes=1))
    return any(occurrence.original_start == original for occurrence in found)


def find(
    series: SeriesRepository, sessions: SessionRepository, session_id: str, consistent: bool = False
) -> Occurrence:
    """The occurrence `session_id` names, stored or computed; 404 if its series has no such session."""
    series_id, original = parse_session_id(session_id)
    item = series.get(series_id)
    if item is None:
        raise NotFoundError("No such session.")
    stored = sessions.get(series_id, original, consistent=consistent)
    if stored is None and not is_occurrence(item, original):
        raise NotFoundError("No such session.")
    return Occurrence(item, original, stored)


def session_view(caller: Caller, occurrence: Occurrence) -> Session:
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
    return Session(
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
        moved_from=occurrence.original_start if start != occurrence.original_start else None,
    )


def deliver(notices: SessionNotices, sessions: SessionRepository, item: SessionItem | None) -> None:
    """Queue the notices a change owes now; if the queue fails they stay owed for the next drain."""
    if item is None or not item.owed:
        return
    bodies = list(item.owed)
    try:
        notices.deliver(bodies)
    except DependencyError:
        count("notices_deferred", len(bodies))
        return
    try:
        sessions.settle(item, bodies)
    except DependencyError:
        count("notices_unsettled", len(bodies))  # queued twice at worst; the ledger sends once


def member_of(caller: Caller) -> str:
    if caller.role is not Role.MEMBER or caller.subject_id is None:
        raise ForbiddenError("Only members RSVP.")
    return caller.subject_id


def recurrence_error(exc: recurrence.RecurrenceError) -> ValidationError:
    return ValidationError({exc.field: exc.message})


def moved_from(after: SessionItem, original_start: datetime) -> SessionItem:
    """A moved notice names the start members knew (the original) and the new one."""
    after.original_start = original_start
    return after
