"""Series and their sessions.

A series item holds the rule; a session item exists only where something is
known about one occurrence: it was materialised for reminders, someone RSVP'd,
or a facilitator cancelled or moved it. Each session item guards its own seats:
`going` (a set of member ids) and `waitlist` (a list, in arrival order) change
only through conditional updates on that one item, so capacity holds under any
concurrency without transactions.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pynamodb.attributes import (
    ListAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.expressions.condition import Condition, size
from pynamodb.expressions.update import Action

from chalicelib.errors import ConflictError
from chalicelib.store import keys
from chalicelib.store.base import conditional, dependency
from chalicelib.store.tables import HearthItem, bind

SCHEDULED = "scheduled"
CANCELLED = "cancelled"
ACTIVE = "active"
ENDED = "ended"


def compact(instant: datetime) -> str:
    return f"{instant:%Y%m%dT%H%MZ}"


def iso_minute(instant: datetime) -> str:
    return f"{instant:%Y-%m-%dT%H:%MZ}"


class SeriesItem(HearthItem, discriminator="series"):
    series_id = UnicodeAttribute()
    group_id = UnicodeAttribute()
    title = UnicodeAttribute()
    start_local = UnicodeAttribute()
    timezone = UnicodeAttribute()
    duration_minutes = NumberAttribute()
    rrule = UnicodeAttribute()
    capacity = NumberAttribute(null=True)
    conference_url = UnicodeAttribute(null=True)
    status = UnicodeAttribute(default=ACTIVE)
    sequence = NumberAttribute(default=0)
    materialised_until = UTCDateTimeAttribute(null=True)
    ended_at = UTCDateTimeAttribute(null=True)  # no session of this series starts at or after this
    # The first series of a chain of "this and following" splits (absent on that first one): what
    # stays the same for listings while the series is split.
    lineage = UnicodeAttribute(null=True)
    updated_at = UTCDateTimeAttribute(null=True)  # the last change to what the series schedules


class SessionItem(HearthItem, discriminator="session"):
    series_id = UnicodeAttribute()
    group_id = UnicodeAttribute()
    session_id = UnicodeAttribute()
    timezone = UnicodeAttribute(null=True)
    original_start = UTCDateTimeAttribute()
    start = UTCDateTimeAttribute()
    duration_minutes = NumberAttribute(null=True)  # set when moved; otherwise the series' duration
    status = UnicodeAttribute(default=SCHEDULED)
    moved = NumberAttribute(default=0)
    sequence = NumberAttribute(default=0)
    going = UnicodeSetAttribute(null=True)
    waitlist = ListAttribute(of=UnicodeAttribute, null=True)


class SeriesRepository:
    def new_item(self, series_id: str, group_id: str, **attributes: object) -> SeriesItem:
        key = keys.series(series_id)
        item = SeriesItem(key.pk, key.sk, series_id=series_id, group_id=group_id, **attributes)
        item.gsi1pk = keys.group_series(group_id)
        item.gsi1sk = series_id
        return item

    def create(self, item: SeriesItem) -> None:
        bind()
        with conditional(lambda: ConflictError("Series id collision; try again.")):
            item.save(condition=SeriesItem.pk.does_not_exist())

    def get(self, series_id: str) -> SeriesItem | None:
        bind()
        key = keys.series(series_id)
        with dependency():
            try:
                return SeriesItem.get(key.pk, key.sk)
            except SeriesItem.DoesNotExist:
                return None

    def for_group(self, group_id: str) -> list[SeriesItem]:
        bind()
        with dependency():
            return [
                item
                for item in SeriesItem.gsi1.query(keys.group_series(group_id))
                if isinstance(item, SeriesItem)
            ]

    def active(self) -> list[SeriesItem]:
        """Every series still producing sessions (an index query, never a scan)."""
        bind()
        with dependency():
            return [
                item for item in SeriesItem.gsi2.query(keys.ACTIVE_SERIES) if isinstance(item, SeriesItem)
            ]

    def update(self, item: SeriesItem, actions: list[Action]) -> None:
        bind()
        with conditional(lambda: ConflictError("The series changed meanwhile; try again.")):
            item.update(actions=actions, condition=SeriesItem.pk.exists())


class SessionRepository:
    def key(self, series_id: str, original_start: datetime) -> keys.Key:
        return keys.occurrence(series_id, compact(original_start))

    def blank(self, series_id: str, original_start: datetime) -> SessionItem:
        key = self.key(series_id, original_start)
        return SessionItem(key.pk, key.sk)

    def get(self, series_id: str, original_start: datetime, consistent: bool = False) -> SessionItem | None:
        bind()
        key = self.key(series_id, original_start)
        with dependency():
            try:
                return SessionItem.get(key.pk, key.sk, consistent_read=consistent)
            except SessionItem.DoesNotExist:
                return None

    def in_group(self, group_id: str, first_original: datetime, last_original: datetime) -> list[SessionItem]:
        """Session items of a group whose original start lies in [first, last]."""
        bind()
        with dependency():
            found = SessionItem.gsi2.query(
                keys.group_occurrences(group_id),
                SessionItem.gsi2sk.between(iso_minute(first_original), iso_minute(last_original) + "~"),
            )
            return [item for item in found if isinstance(item, SessionItem)]

    def in_series(self, series_id: str, first_original: datetime) -> list[SessionItem]:
        bind()
        key = keys.series(series_id)
        with dependency():
            found = SessionItem.query(key.pk, SessionItem.sk >= f"OCC#{compact(first_original)}")
            return [item for item in found if isinstance(item, SessionItem)]

    @staticmethod
    def start_index_actions(session_id: str, start: datetime) -> list[Action]:
        """Where the reminder sweep finds a session: its start's hour bucket and minute."""
        minute = iso_minute(start)[:-1]
        return [
            SessionItem.start_minute.set(keys.start_minute(minute, keys.start_shard(session_id))),
            SessionItem.start_sk.set(keys.start_sort(minute, session_id)),
        ]

    def reindex_starts(self, series_id: str, since: datetime) -> int:
        """Rewrite the `by_start` keys of a series' sessions from `since` that still carry the
        per-minute layout (partition per minute, sort key the session id); returns how many."""
        rewritten = 0
        for item in self.in_series(series_id, since):
            if item.start_minute is None or item.status != SCHEDULED:
                continue  # cancelled: deliberately out of the index
            if item.start_sk == keys.start_sort(iso_minute(item.start)[:-1], item.session_id):
                continue
            with dependency():
                item.update(actions=self.start_index_actions(item.session_id, item.start))
            rewritten += 1
        return rewritten

    def starting(self, first: datetime, last: datetime) -> list[SessionItem]:
        """Session items whose start minute lies in [first, last]: one Query per hour and shard."""
        bind()
        found: list[SessionItem] = []
        hour = first.replace(minute=0, second=0, microsecond=0)
        with dependency():
            while hour <= last:
                low = iso_minute(max(first, hour))[:-1]
                high = iso_minute(min(last, hour + timedelta(minutes=59)))[:-1]
                bounds = keys.start_range(low, high)
                for shard in range(keys.START_SHARDS):
                    found.extend(
                        item
                        for item in SessionItem.by_start.query(
                            keys.start_minute(low, shard), SessionItem.start_sk.between(*bounds)
                        )
                        if isinstance(item, SessionItem)
                    )
                hour += timedelta(hours=1)
        return found

    @staticmethod
    def identity_actions(series: SeriesItem, session_id: str, original_start: datetime) -> list[Action]:
        """Attributes every session item carries; times are set only where missing, never clobbered."""
        series_id, group_id = series.series_id, series.group_id
        return [
            SessionItem.kind.set(SessionItem),
            SessionItem.series_id.set(series_id),
            SessionItem.group_id.set(group_id),
            SessionItem.timezone.set(series.timezone),
            SessionItem.session_id.set(session_id),
            SessionItem.original_start.set(SessionItem.original_start | original_start),
            SessionItem.start.set(SessionItem.start | original_start),
            SessionItem.status.set(SessionItem.status | SCHEDULED),
            SessionItem.gsi2pk.set(keys.group_occurrences(group_id)),
            SessionItem.gsi2sk.set(keys.occurrence_sort(iso_minute(original_start), series_id)),
        ]

    def write(
        self,
        series_id: str,
        original_start: datetime,
        actions: list[Action],
        condition: Condition | None,
        on_failed,
    ) -> SessionItem:
        """One conditional UpdateItem on a session item (created if missing); the item after it."""
        bind()
        item = self.blank(series_id, original_start)
        with conditional(on_failed):
            item.update(actions=actions, condition=condition)
        return item


def seats_free(capacity: int | None) -> Condition | None:
    """The condition that a seat is free: fewer members going than `capacity`."""
    if capacity is None:
        return None
    return SessionItem.going.does_not_exist() | (size(SessionItem.going) < capacity)


def schedulable() -> Condition:
    return SessionItem.status.does_not_exist() | (SessionItem.status == SCHEDULED)
