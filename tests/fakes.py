"""In-memory stand-ins for the series and session repositories (no sockets, no moto).

They keep the same items the DynamoDB repositories keep and answer the same intents; the
contract tests in `tests/contracts/` hold both to one behaviour. Only what the RSVP use
cases need is here.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from chalicelib.store.sessions import (
    SCHEDULED,
    SeriesItem,
    SeriesRepository,
    SessionItem,
    SessionRepository,
    Tell,
)


class InMemorySeriesRepository:
    def __init__(self) -> None:
        self.items: dict[str, SeriesItem] = {}

    def new_item(self, series_id: str, group_id: str, **attributes: object) -> SeriesItem:
        return SeriesRepository().new_item(series_id, group_id, **attributes)

    def create(self, item: SeriesItem) -> None:
        self.items[item.series_id] = item

    def get(self, series_id: str) -> SeriesItem | None:
        return self.items.get(series_id)

    def for_group(self, group_id: str) -> list[SeriesItem]:
        return [item for item in self.items.values() if item.group_id == group_id]


class InMemorySessionRepository:
    def __init__(self) -> None:
        self.items: dict[tuple[str, datetime], SessionItem] = {}

    def get(self, series_id: str, original_start: datetime, consistent: bool = False) -> SessionItem | None:
        return self.items.get((series_id, original_start))

    def in_group(
        self, group_id: str, first_original: datetime, last_original: datetime, limit: int | None = None
    ) -> list[SessionItem]:
        found = sorted(
            (
                item
                for item in self.items.values()
                if item.group_id == group_id and first_original <= item.original_start <= last_original
            ),
            key=lambda item: (item.original_start, item.series_id),
        )
        return found[:limit] if limit is not None else found

    def _stored(self, series: SeriesItem, session_id: str, original_start: datetime) -> SessionItem:
        key = (series.series_id, original_start)
        if key not in self.items:
            key_of = SessionRepository().key(series.series_id, original_start)
            self.items[key] = SessionItem(
                key_of.pk,
                key_of.sk,
                series_id=series.series_id,
                group_id=series.group_id,
                session_id=session_id,
                timezone=series.timezone,
                original_start=original_start,
                start=original_start,
                status=SCHEDULED,
            )
        return self.items[key]

    @staticmethod
    def _open_to(item: SessionItem | None, member_id: str, now: datetime) -> bool:
        if item is None:
            return True
        in_it = member_id in (item.going or set()) or member_id in (item.waitlist or [])
        return item.status == SCHEDULED and item.start > now and not in_it

    def take_seat(
        self, series: SeriesItem, session_id: str, original_start: datetime, member_id: str, now: datetime
    ) -> bool:
        current = self.get(series.series_id, original_start)
        going = len(current.going or ()) if current is not None else 0
        full = series.capacity is not None and going >= int(series.capacity)
        if full or not self._open_to(current, member_id, now):
            return False
        item = self._stored(series, session_id, original_start)
        item.going = set(item.going or ()) | {member_id}
        return True

    def join_waitlist(
        self, series: SeriesItem, session_id: str, original_start: datetime, member_id: str, now: datetime
    ) -> SessionItem | None:
        if not self._open_to(self.get(series.series_id, original_start), member_id, now):
            return None
        item = self._stored(series, session_id, original_start)
        item.waitlist = [*(item.waitlist or ()), member_id]
        return item

    def leave(
        self,
        series: SeriesItem,
        session_id: str,
        original: datetime,
        member_id: str,
        tell_promoted: Tell,
        withdrawn: Callable[[str], bool],
    ) -> SessionItem | None:
        item = self.get(series.series_id, original)
        held = item is not None and (member_id in (item.going or set()) or member_id in (item.waitlist or []))
        if item is None or not held:
            return item
        going = set(item.going or ()) - {member_id}
        waitlist = [m for m in item.waitlist or () if m != member_id]
        owed = [body for body in item.owed or () if not withdrawn(body)]
        capacity = None if series.capacity is None else int(series.capacity)
        while item.status == SCHEDULED and waitlist and (capacity is None or len(going) < capacity):
            head = waitlist.pop(0)
            going.add(head)
            owed += tell_promoted(item, {head})
        item.going, item.waitlist, item.owed = going or None, waitlist or None, owed or None
        return item

    def settle(self, item: SessionItem, queued: list[str]) -> None:
        stored = self.get(item.series_id, item.original_start)
        if stored is not None and list(stored.owed or ())[: len(queued)] == queued:
            stored.owed = list(stored.owed or ())[len(queued) :] or None
