"""RSVPs: going while seats last, then the waitlist in arrival order, and promotion.

Each session item guards its own seats through conditional writes (see
`store/sessions.py`): an RSVP is one write, and a freed seat goes to the waitlist
head in the same write that frees it. Erasure and removal give seats back the same way.
"""

from __future__ import annotations

from datetime import UTC, datetime

from chalicelib.domain import recurrence
from chalicelib.domain.identity import Caller
from chalicelib.errors import ConflictError, NotFoundError
from chalicelib.observability import count
from chalicelib.responses import RsvpOut
from chalicelib.services.occurrences import (
    MAX_MOVE,
    Clock,
    NoNotices,
    SessionNotices,
    deliver,
    is_occurrence,
    member_of,
    parse_session_id,
    utcnow,
)
from chalicelib.store.sessions import CANCELLED, SeriesItem, SeriesRepository, SessionRepository


class RsvpService:
    def __init__(
        self,
        series: SeriesRepository | None = None,
        sessions: SessionRepository | None = None,
        notices: SessionNotices | None = None,
        clock: Clock = utcnow,
    ) -> None:
        self.series = series or SeriesRepository()
        self.sessions = sessions or SessionRepository()
        self.notices = notices or NoNotices()
        self.clock = clock

    def rsvp(self, caller: Caller, session_id: str) -> RsvpOut:
        """Going if a seat is free, else on the waitlist; calling again changes nothing."""
        member_id, series, original = self._mine(caller, session_id)
        series_id = series.series_id
        now = self.clock()
        if original <= now - MAX_MOVE or (
            original <= now and not self._stored_later(series_id, original, now)
        ):
            raise ConflictError("This session has already started.", code="session_past")
        if not is_occurrence(series, original) and self.sessions.get(series_id, original) is None:
            raise NotFoundError("No such session.")
        if self.sessions.take_seat(series, session_id, original, member_id, now):
            count("rsvps", status="going")
            return RsvpOut(status="going")
        current = self._explain(series_id, original, member_id, now)
        if current is not None:
            return current
        item = self.sessions.join_waitlist(series, session_id, original, member_id, now)
        if item is None:
            current = self._explain(series_id, original, member_id, now)
            if current is not None:
                return current
            raise ConflictError("refused")
        count("rsvps", status="waitlisted")
        return RsvpOut(status="waitlisted", position=list(item.waitlist or ()).index(member_id) + 1)

    def _stored_later(self, series_id: str, original: datetime, now: datetime) -> bool:
        stored = self.sessions.get(series_id, original)
        return stored is not None and stored.start > now

    def _explain(self, series_id: str, original: datetime, member_id: str, now: datetime) -> RsvpOut | None:
        """Why an RSVP write was refused: already in (idempotent), or a 409; None if simply full."""
        item = self.sessions.get(series_id, original, consistent=True)
        if item is None:
            return None
        if member_id in (item.going or set()):
            return RsvpOut(status="going")
        waitlist = list(item.waitlist or ())
        if member_id in waitlist:
            return RsvpOut(status="waitlisted", position=waitlist.index(member_id) + 1)
        if item.status == CANCELLED:
            raise ConflictError("This session is cancelled.", code="session_cancelled")
        if item.start <= now:
            raise ConflictError("This session has already started.", code="session_past")
        return None

    def cancel_rsvp(self, caller: Caller, session_id: str) -> None:
        """Give up a seat (the first waiting member is promoted) or a waitlist place."""
        member_id, series, original = self._mine(caller, session_id)
        self.leave(series, original, member_id)

    def _mine(self, caller: Caller, session_id: str) -> tuple[str, SeriesItem, datetime]:
        """The calling member, and the series and original start of a session of their group."""
        member_id = member_of(caller)
        series_id, original = parse_session_id(session_id)
        series = self.series.get(series_id)
        if series is None or series.group_id != caller.group_id:
            raise NotFoundError("No such session.")
        return member_id, series, original

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
        deliver(self.notices, self.sessions, item)

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
