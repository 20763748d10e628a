"""In-memory series and session repositories: the intents of `chalicelib/store/sessions.py`, the
same conditions, the same domain errors, no sockets.

Items are kept as the repository stores them and handed out as copies made by the same
serialise/deserialise round trip DynamoDB applies (empty sets vanish, defaults come back), so a
caller never holds the stored object. A write that the repository makes with a condition on the
item's version re-reads and decides again when the version moved; `before_write` lets a test
land a competing change in that gap, as a concurrent request would.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from chalicelib.errors import ConflictError
from chalicelib.store import keys
from chalicelib.store.sessions import (
    CANCELLED,
    ENDED,
    REVISE_ATTEMPTS,
    SCHEDULED,
    SETTLE_CHUNK,
    SeriesItem,
    SeriesRepository,
    SessionItem,
    SessionRepository,
    Shape,
    Tell,
    _projected,
    iso_minute,
)
from chalicelib.store.tables import HearthItem

Item = TypeVar("Item", bound=HearthItem)


def copied(item: Item) -> Item:
    """`item` as it reads back from the table (a fresh object)."""
    fresh = type(item)(item.pk, item.sk)
    fresh.deserialize(item.serialize(null_check=False))
    return fresh


def _read_back(target: HearthItem, stored: HearthItem) -> None:
    """What an UpdateItem returning ALL_NEW does to the object it was called on."""
    target.deserialize(stored.serialize(null_check=False))


class InMemorySeriesRepository:
    def __init__(self) -> None:
        self.items: dict[str, SeriesItem] = {}

    def new_item(self, series_id: str, group_id: str, **attributes: object) -> SeriesItem:
        return SeriesRepository().new_item(series_id, group_id, **attributes)

    def create(self, item: SeriesItem) -> None:
        if item.series_id in self.items:
            raise ConflictError("Series id collision; try again.")
        self.items[item.series_id] = copied(item)

    def get(self, series_id: str) -> SeriesItem | None:
        stored = self.items.get(series_id)
        return None if stored is None else copied(stored)

    def for_group(self, group_id: str) -> list[SeriesItem]:
        found = [item for item in self.items.values() if item.gsi1pk == keys.group_series(group_id)]
        return [copied(item) for item in sorted(found, key=lambda item: str(item.gsi1sk))]

    def active(self) -> list[SeriesItem]:
        found = [item for item in self.items.values() if item.gsi2pk == keys.ACTIVE_SERIES]
        return [copied(item) for item in sorted(found, key=lambda item: str(item.gsi2sk))]

    def edit(
        self,
        item: SeriesItem,
        *,
        title: str,
        duration_minutes: int,
        capacity: int | None,
        conference_url: str | None,
        at: datetime,
        shape: Shape | None = None,
    ) -> None:
        def change(stored: SeriesItem) -> None:
            stored.title, stored.duration_minutes = title, duration_minutes
            stored.sequence = int(stored.sequence or 0) + 1
            stored.updated_at, stored.capacity, stored.conference_url = at, capacity, conference_url
            if shape is not None:
                stored.start_local, stored.timezone, stored.rrule = shape
                stored.materialised_until = None

        self._update(item, change)

    def end(self, item: SeriesItem, ended_at: datetime, rrule: str | None, at: datetime) -> None:
        def change(stored: SeriesItem) -> None:
            stored.sequence = int(stored.sequence or 0) + 1
            stored.gsi2pk = stored.gsi2sk = None
            stored.status, stored.ended_at, stored.updated_at = ENDED, ended_at, at
            if rrule is not None:
                stored.rrule = rrule

        self._update(item, change)

    def materialised(self, item: SeriesItem, until: datetime) -> None:
        def change(stored: SeriesItem) -> None:
            stored.materialised_until = until

        self._update(item, change)

    def _update(self, item: SeriesItem, change: Callable[[SeriesItem], None]) -> None:
        stored = self.items.get(item.series_id)
        if stored is None:  # the repository's condition: the series exists
            raise ConflictError("The series changed meanwhile; try again.")
        change(stored)
        _read_back(item, stored)


Decision = Callable[[SessionItem | None], SessionItem | None]


class InMemorySessionRepository:
    def __init__(self) -> None:
        self.items: dict[tuple[str, datetime], SessionItem] = {}
        self.before_write: Callable[[], None] | None = None  # a competing change lands here

    # --- reads ----------------------------------------------------------------------------

    def key(self, series_id: str, original_start: datetime) -> keys.Key:
        return SessionRepository().key(series_id, original_start)

    def get(self, series_id: str, original_start: datetime, consistent: bool = False) -> SessionItem | None:
        stored = self.items.get((series_id, original_start))
        return None if stored is None else copied(stored)

    def in_group(
        self, group_id: str, first_original: datetime, last_original: datetime, limit: int | None = None
    ) -> list[SessionItem]:
        low, high = iso_minute(first_original), iso_minute(last_original) + "~"
        found = sorted(
            (
                item
                for item in self.items.values()
                if item.gsi2pk == keys.group_occurrences(group_id) and low <= str(item.gsi2sk) <= high
            ),
            key=lambda item: str(item.gsi2sk),
        )
        return [copied(item) for item in (found[:limit] if limit is not None else found)]

    def in_series(self, series_id: str, first_original: datetime) -> list[SessionItem]:
        found = sorted(
            (
                item
                for (owner, original), item in self.items.items()
                if owner == series_id and original >= first_original.replace(second=0, microsecond=0)
            ),
            key=lambda item: item.original_start,
        )
        return [copied(item) for item in found]

    def starting(self, first: datetime, last: datetime) -> list[SessionItem]:
        """Items on the start index whose start minute lies in [first, last]."""
        low, high = iso_minute(first)[:-1], iso_minute(last)[:-1]
        found = []
        for item in self.items.values():
            if item.start_minute is None or item.start_sk is None:
                continue
            minute = item.start_sk[:16]
            indexed = item.start_minute == keys.start_minute(minute, keys.start_shard(item.session_id))
            if indexed and low <= minute <= high:
                found.append(item)
        order = sorted(
            found, key=lambda i: (str(i.start_sk)[:13], keys.start_shard(i.session_id), i.start_sk)
        )
        return [copied(item) for item in order]

    def with_owed(self) -> list[SessionItem]:
        found = [item for item in self.items.values() if item.gsi1pk == keys.OWED_NOTICES]
        return [copied(item) for item in sorted(found, key=lambda item: str(item.gsi1sk))]

    # --- writes on the terms of one item --------------------------------------------------

    def materialise(self, series: SeriesItem, session_id: str, original_start: datetime) -> bool:
        stored = self.items.get((series.series_id, original_start))
        untouched = stored is None or (stored.status == SCHEDULED and not stored.moved)
        if not untouched:
            return False
        item = self._written(series, session_id, original_start)
        _index(item, session_id, original_start)
        return True

    def take_seat(
        self, series: SeriesItem, session_id: str, original_start: datetime, member_id: str, now: datetime
    ) -> bool:
        stored = self.items.get((series.series_id, original_start))
        going = len(stored.going or ()) if stored is not None else 0
        full = series.capacity is not None and going >= int(series.capacity)
        if full or not _open_to(stored, member_id, now):
            return False
        item = self._written(series, session_id, original_start)
        item.going = set(item.going or ()) | {member_id}
        return True

    def join_waitlist(
        self, series: SeriesItem, session_id: str, original_start: datetime, member_id: str, now: datetime
    ) -> SessionItem | None:
        if not _open_to(self.items.get((series.series_id, original_start)), member_id, now):
            return None
        item = self._written(series, session_id, original_start)
        item.waitlist = [*(item.waitlist or ()), member_id]
        return copied(item)

    def _written(self, series: SeriesItem, session_id: str, original_start: datetime) -> SessionItem:
        """The stored item (created if missing) with its identity set and its version bumped."""
        key = (series.series_id, original_start)
        if key not in self.items:
            self.items[key] = SessionRepository().blank(series.series_id, original_start)
        item = self.items[key]
        item.series_id, item.group_id, item.session_id = series.series_id, series.group_id, session_id
        item.timezone = series.timezone
        if item.attribute_values.get("original_start") is None:
            item.original_start = original_start
        if item.attribute_values.get("start") is None:
            item.start = original_start
        item.status = item.status or SCHEDULED
        item.gsi2pk = keys.group_occurrences(series.group_id)
        item.gsi2sk = keys.occurrence_sort(iso_minute(original_start), series.series_id)
        item.version = int(item.version or 0) + 1
        return item

    # --- changes decided from what is stored, written only if nothing changed in between ---

    def _revise(
        self, series: SeriesItem, session_id: str, original: datetime, decide: Decision
    ) -> SessionItem | None:
        for _attempt in range(REVISE_ATTEMPTS):
            current = self.get(series.series_id, original)
            after = decide(None if current is None else copied(current))
            if after is None:
                return current
            if self.before_write is not None:
                self.before_write()
            stored = self.items.get((series.series_id, original))
            read = None if current is None else current.version
            if (stored is None) != (current is None) or (stored is not None and stored.version != read):
                continue
            after.version = read
            after.going, after.waitlist = after.going or None, after.waitlist or None  # never empty
            after.owed = after.owed or None
            self.items[(series.series_id, original)] = copied(after)
            item = self._written(series, session_id, original)
            item.gsi1pk, item.gsi1sk = (keys.OWED_NOTICES, session_id) if item.owed else (None, None)
            return copied(item)
        raise ConflictError("The session is busy; try again.", code="session_busy")

    def _base(
        self, current: SessionItem | None, series: SeriesItem, session_id: str, original: datetime
    ) -> SessionItem:
        if current is not None:
            return current
        item = SessionRepository().blank(series.series_id, original)
        item.series_id, item.group_id, item.session_id = series.series_id, series.group_id, session_id
        item.timezone, item.original_start, item.start, item.status = (
            series.timezone,
            original,
            original,
            SCHEDULED,
        )
        return item

    def cancel(
        self, series: SeriesItem, session_id: str, original: datetime, tell: Tell | None
    ) -> SessionItem | None:
        def decide(current: SessionItem | None) -> SessionItem | None:
            if current is not None and current.status == CANCELLED:
                return None
            going = set(current.going or ()) if current is not None else set()
            sequence = (int(current.sequence or 0) if current is not None else 0) + 1
            after = _projected(current, series, session_id, original, sequence=sequence)
            item = self._base(current, series, session_id, original)
            item.status, item.sequence, item.start_minute, item.start_sk = CANCELLED, sequence, None, None
            if tell is not None and going:
                item.owed = [*(item.owed or ()), *tell(after, going)]
            return item

        return self._revise(series, session_id, original, decide)

    def move(
        self,
        series: SeriesItem,
        session_id: str,
        original: datetime,
        start: datetime,
        duration_minutes: int,
        tell: Tell,
    ) -> SessionItem | None:
        def decide(current: SessionItem | None) -> SessionItem:
            if current is not None and current.status == CANCELLED:
                raise ConflictError("A cancelled session cannot be moved.", code="session_cancelled")
            going = set(current.going or ()) if current is not None else set()
            sequence = (int(current.sequence or 0) if current is not None else 0) + 1
            after = _projected(current, series, session_id, original, start=start, sequence=sequence)
            item = self._base(current, series, session_id, original)
            item.start, item.duration_minutes, item.moved, item.sequence = (
                start,
                duration_minutes,
                1,
                sequence,
            )
            _index(item, session_id, start)
            if going:
                item.owed = [*(item.owed or ()), *tell(after, going)]
            return item

        return self._revise(series, session_id, original, decide)

    def leave(
        self,
        series: SeriesItem,
        session_id: str,
        original: datetime,
        member_id: str,
        tell_promoted: Tell,
        withdrawn: Callable[[str], bool],
    ) -> SessionItem | None:
        def decide(current: SessionItem | None) -> SessionItem | None:
            if current is None:
                return None
            going, waitlist = set(current.going or ()), list(current.waitlist or ())
            if member_id not in going and member_id not in waitlist:
                return None
            current.owed = [body for body in current.owed or () if not withdrawn(body)]
            current.going = going - {member_id}
            current.waitlist = [m for m in waitlist if m != member_id]
            self._seat_waiting(current, series, session_id, original, tell_promoted)
            return current

        return self._revise(series, session_id, original, decide)

    def promote(
        self, series: SeriesItem, session_id: str, original: datetime, tell_promoted: Tell
    ) -> SessionItem | None:
        def decide(current: SessionItem | None) -> SessionItem | None:
            if current is None or current.status != SCHEDULED or not current.waitlist:
                return None
            return (
                current if self._seat_waiting(current, series, session_id, original, tell_promoted) else None
            )

        return self._revise(series, session_id, original, decide)

    @staticmethod
    def _seat_waiting(
        item: SessionItem, series: SeriesItem, session_id: str, original: datetime, tell_promoted: Tell
    ) -> list[str]:
        """Seat the waitlist head while seats are free (a scheduled session); who was seated."""
        capacity = None if series.capacity is None else int(series.capacity)
        going, waitlist = set(item.going or ()), list(item.waitlist or ())
        promoted: list[str] = []
        while item.status == SCHEDULED and waitlist and (capacity is None or len(going) < capacity):
            promoted.append(waitlist.pop(0))
            going.add(promoted[-1])
        after = _projected(item, series, session_id, original)
        item.going, item.waitlist = going, waitlist
        item.owed = [*(item.owed or ()), *(body for m in promoted for body in tell_promoted(after, {m}))]
        return promoted

    def carry_in(
        self,
        series: SeriesItem,
        session_id: str,
        original: datetime,
        going: set[str],
        waitlist: list[str],
        tell_moved: Tell,
        tell_lost: Tell,
    ) -> SessionItem | None:
        capacity = None if series.capacity is None else int(series.capacity)

        def decide(current: SessionItem | None) -> SessionItem | None:
            here = set(current.going or ()) if current is not None else set()
            queue = list(current.waitlist or ()) if current is not None else []
            arriving = [m for m in sorted(going) if m not in here and m not in queue]
            waiting = [m for m in waitlist if m not in here and m not in queue and m not in going]
            if not arriving and not waiting:
                return None
            free = len(arriving) if capacity is None else max(0, capacity - len(here))
            seated, lost = set(arriving[:free]), [m for m in arriving[free:]]
            after = _projected(current, series, session_id, original)
            item = self._base(current, series, session_id, original)
            item.going, item.waitlist = here | seated, [*queue, *lost, *waiting]
            owed = (tell_moved(after, seated) if seated else []) + (
                tell_lost(after, set(lost)) if lost else []
            )
            if owed:
                item.owed = [*(item.owed or ()), *owed]
            _index(item, session_id, after.start)
            return item

        return self._revise(series, session_id, original, decide)

    def settle(self, item: SessionItem, queued: list[str]) -> None:
        """Forget owed notices now queued, chunk by chunk, each only if the stored ones still start so."""
        for start in range(0, len(queued), SETTLE_CHUNK):
            chunk = queued[start : start + SETTLE_CHUNK]
            stored = self.items.get((item.series_id, item.original_start))
            owed = list(stored.owed or ()) if stored is not None else []
            remaining = len(item.owed or ()) - start - len(chunk)
            if stored is None or owed[: len(chunk)] != chunk or (remaining <= 0 and len(owed) != len(chunk)):
                return
            stored.owed = owed[len(chunk) :] or None
            if stored.owed is None:
                stored.gsi1pk = stored.gsi1sk = None
            stored.version = int(stored.version or 0) + 1


def _open_to(item: SessionItem | None, member_id: str, now: datetime) -> bool:
    """A session a member can still RSVP to: scheduled, not started, and they are not in it yet."""
    if item is None:
        return True
    in_it = member_id in (item.going or set()) or member_id in (item.waitlist or [])
    return item.status == SCHEDULED and item.start > now and not in_it


def _index(item: SessionItem, session_id: str, start: datetime) -> None:
    minute = iso_minute(start)[:-1]
    item.start_minute = keys.start_minute(minute, keys.start_shard(session_id))
    item.start_sk = keys.start_sort(minute, session_id)
