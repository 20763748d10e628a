"""Series and their sessions.

A series item holds the rule; a session item exists only where something is
known about one occurrence: it was materialised for reminders, someone RSVP'd,
or a facilitator cancelled or moved it. Each session item guards its own seats:
`going` (a set of member ids) and `waitlist` (a list, in arrival order) change
only through conditional updates on that one item, so capacity holds under any
concurrency without transactions.

Every write bumps the item's `version`. A change computed from what is stored (a seat
freed and the waitlist head promoted, a cancellation, a move, members carried over
from a split) is written only if the version is still the one it read, as one
UpdateItem, together with the notices it owes (`owed`, queue message bodies). Owed
notices stay on the item, findable through a sparse index, until they are queued.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from pynamodb.attributes import (
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.expressions.condition import Condition, size
from pynamodb.expressions.update import Action

from chalicelib.errors import ConflictError, HearthError
from chalicelib.store import keys
from chalicelib.store.base import conditional, dependency
from chalicelib.store.tables import HearthItem, bind, string_list

SCHEDULED = "scheduled"
CANCELLED = "cancelled"
ACTIVE = "active"
ENDED = "ended"
REVISE_ATTEMPTS = 12  # optimistic retries of one change against concurrent RSVPs
SETTLE_CHUNK = 25  # owed notices removed per write (each is one clause of its condition)


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
    waitlist = string_list(null=True)
    version = NumberAttribute(null=True)  # bumped by every write
    owed = string_list(null=True)  # notices not yet queued


@dataclass
class Revision:
    """A change decided from the stored session: new seats, new state, notices owed."""

    going: set[str]
    waitlist: list[str]
    actions: list[Action] = field(default_factory=list)
    owed: list[str] = field(default_factory=list)
    keep_owed: Callable[[str], bool] | None = None  # drop owed notices this change makes untrue


Decide = Callable[[SessionItem | None], Revision | None]
Tell = Callable[[SessionItem, set[str]], list[str]]  # queue message bodies telling members of a change


def _projected(
    current: SessionItem | None, series: SeriesItem, session_id: str, original: datetime, **changes: object
) -> SessionItem:
    """The session as it will be after a change (what a notice about the change describes)."""
    item = SessionItem(
        series_id=series.series_id,
        group_id=series.group_id,
        session_id=session_id,
        timezone=series.timezone,
        original_start=original,
        start=current.start if current is not None else original,
        sequence=int(current.sequence or 0) if current is not None else 0,
    )
    for name, value in changes.items():
        setattr(item, name, value)
    return item


class Shape(NamedTuple):
    """When a series' sessions happen."""

    start_local: str
    timezone: str
    rrule: str


class SeriesRepository:
    def new_item(self, series_id: str, group_id: str, **attributes: Any) -> SeriesItem:
        """A new active series: listed under its group, and among those the daily job materialises."""
        key = keys.series(series_id)
        item = SeriesItem(key.pk, key.sk, series_id=series_id, group_id=group_id, **attributes)
        item.gsi1pk = keys.group_series(group_id)
        item.gsi1sk = series_id
        item.gsi2pk = keys.ACTIVE_SERIES
        item.gsi2sk = series_id
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
        """Change what every session of the series shares, and with `shape` when they happen (in
        place, before any happened: materialised afresh)."""
        actions = _edit_actions(title, duration_minutes, capacity, conference_url, at)
        if shape is not None:
            actions += [
                SeriesItem.start_local.set(shape.start_local),
                SeriesItem.timezone.set(shape.timezone),
                SeriesItem.rrule.set(shape.rrule),
                SeriesItem.materialised_until.remove(),
            ]
        self._update(item, actions)

    def end(self, item: SeriesItem, ended_at: datetime, rrule: str | None, at: datetime) -> None:
        """No session starts at or after `ended_at`; out of the daily job's index. `rrule`, if
        given, is the rule cut to the sessions before `ended_at`."""
        actions = [
            SeriesItem.sequence.add(1),
            SeriesItem.gsi2pk.remove(),
            SeriesItem.gsi2sk.remove(),
            SeriesItem.status.set(ENDED),
            SeriesItem.ended_at.set(ended_at),
            SeriesItem.updated_at.set(at),
        ]
        if rrule is not None:
            actions.append(SeriesItem.rrule.set(rrule))
        self._update(item, actions)

    def materialised(self, item: SeriesItem, until: datetime) -> None:
        """Record that the series' sessions starting before `until` are stored."""
        self._update(item, [SeriesItem.materialised_until.set(until)])

    def _update(self, item: SeriesItem, actions: list[Action]) -> None:
        bind()
        with conditional(lambda: ConflictError("The series changed meanwhile; try again.")):
            item.update(actions=actions, condition=SeriesItem.pk.exists())


def _edit_actions(
    title: str, duration_minutes: int, capacity: int | None, conference_url: str | None, at: datetime
) -> list[Action]:
    return [
        SeriesItem.title.set(title),
        SeriesItem.duration_minutes.set(duration_minutes),
        SeriesItem.sequence.add(1),
        SeriesItem.updated_at.set(at),
        SeriesItem.capacity.set(capacity) if capacity is not None else SeriesItem.capacity.remove(),
        SeriesItem.conference_url.set(conference_url)
        if conference_url is not None
        else SeriesItem.conference_url.remove(),
    ]


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

    def in_group(
        self, group_id: str, first_original: datetime, last_original: datetime, limit: int | None = None
    ) -> list[SessionItem]:
        """Session items of a group whose original start lies in [first, last] (the first `limit`)."""
        bind()
        with dependency():
            found = SessionItem.gsi2.query(
                keys.group_occurrences(group_id),
                SessionItem.gsi2sk.between(iso_minute(first_original), iso_minute(last_original) + "~"),
                limit=limit,
            )
            return [item for item in found if isinstance(item, SessionItem)]

    def in_series(self, series_id: str, first_original: datetime) -> list[SessionItem]:
        bind()
        key = keys.series(series_id)
        with dependency():
            found = SessionItem.query(key.pk, SessionItem.sk >= f"OCC#{compact(first_original)}")
            return [item for item in found if isinstance(item, SessionItem)]

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
                item.update(actions=index_actions(item.session_id, item.start))
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

    def materialise(self, series: SeriesItem, session_id: str, original_start: datetime) -> bool:
        """Store one session where the reminder sweep finds it; False if it was cancelled or moved
        meanwhile (its own index entry stands)."""
        # `moved` is written only by a move: an item stored by an RSVP before it was materialised
        # has none, and is still one to materialise (else no reminder would ever find it)
        not_moved = SessionItem.moved.does_not_exist() | (SessionItem.moved == 0)
        untouched = SessionItem.pk.does_not_exist() | ((SessionItem.status == SCHEDULED) & not_moved)
        change = index_actions(session_id, original_start)
        return self._unless_refused(series, session_id, original_start, change, untouched) is not None

    def take_seat(
        self, series: SeriesItem, session_id: str, original_start: datetime, member_id: str, now: datetime
    ) -> bool:
        """Seat `member_id` if a seat is free, the session is scheduled and still to come, and they
        are neither going nor waiting yet; False if refused (full, or any of those)."""
        seat = _seats_free(None if series.capacity is None else int(series.capacity))
        condition = _open_to(member_id, now) if seat is None else _open_to(member_id, now) & seat
        change: list[Action] = [SessionItem.going.add({member_id})]
        return self._unless_refused(series, session_id, original_start, change, condition) is not None

    def join_waitlist(
        self, series: SeriesItem, session_id: str, original_start: datetime, member_id: str, now: datetime
    ) -> SessionItem | None:
        """Put `member_id` at the end of the waitlist on the same terms as `take_seat` (but for the
        seat); the item after it, or None if refused."""
        change: list[Action] = [SessionItem.waitlist.set((SessionItem.waitlist | []).append([member_id]))]
        return self._unless_refused(series, session_id, original_start, change, _open_to(member_id, now))

    def _unless_refused(
        self,
        series: SeriesItem,
        session_id: str,
        original_start: datetime,
        change: list[Action],
        condition: Condition,
    ) -> SessionItem | None:
        """`change` on the session item (given its identity) if `condition` holds; None if not."""
        actions = [*_identity_actions(series, session_id, original_start), *change]
        try:
            return self._write(series.series_id, original_start, actions, condition, _RefusedError)
        except _RefusedError:
            return None

    def _write(
        self,
        series_id: str,
        original_start: datetime,
        actions: list[Action],
        condition: Condition | None,
        on_failed: Callable[[], HearthError],
    ) -> SessionItem:
        """One conditional UpdateItem on a session item (created if missing); the item after it."""
        bind()
        item = self.blank(series_id, original_start)
        with conditional(on_failed):
            item.update(actions=[*actions, SessionItem.version.add(1)], condition=condition)
        return item

    def revise(
        self, series: SeriesItem, session_id: str, original_start: datetime, decide: Decide
    ) -> SessionItem | None:
        """Apply `decide(stored)` if nothing changed in between; retried on a concurrent change.

        `decide` returns None when there is nothing to do (already done: idempotent). The
        stored item after the change (or as found, when nothing was done) is returned;
        409 `session_busy` if the session kept changing under every attempt.
        """
        changed = ConflictError("changed")
        for _attempt in range(REVISE_ATTEMPTS):
            current = self.get(series.series_id, original_start, consistent=True)
            revision = decide(current)
            if revision is None:
                return current
            version = None if current is None else current.version
            guard = (
                SessionItem.version.does_not_exist()
                if version is None
                else (SessionItem.version == int(version))
            )
            if current is None:
                guard &= SessionItem.pk.does_not_exist()
            changes = [*revision.actions, *_roster_actions(revision.going, revision.waitlist)]
            actions = [*_except(_identity_actions(series, session_id, original_start), changes), *changes]
            owed = list(current.owed or ()) if current is not None else []
            if revision.keep_owed is not None:
                owed = [body for body in owed if revision.keep_owed(body)]
            owed += revision.owed
            if revision.owed or revision.keep_owed is not None:
                actions += _owed_actions(owed, session_id)
            try:
                return self._write(series.series_id, original_start, actions, guard, lambda: changed)
            except ConflictError as exc:
                if exc is not changed:
                    raise
        raise ConflictError("The session is busy; try again.", code="session_busy")

    # --- changes that owe notices ---------------------------------------------------------

    def cancel(
        self, series: SeriesItem, session_id: str, original: datetime, tell: Tell | None
    ) -> SessionItem | None:
        """Cancel one session (idempotent); the members going then are owed `tell`'s notice."""

        def decide(current: SessionItem | None) -> Revision | None:
            if current is not None and current.status == CANCELLED:
                return None
            going, waitlist = _roster(current)
            sequence = (int(current.sequence or 0) if current is not None else 0) + 1
            after = _projected(current, series, session_id, original, sequence=sequence)
            return Revision(
                going,
                waitlist,
                actions=[
                    SessionItem.status.set(CANCELLED),
                    SessionItem.sequence.set(sequence),
                    SessionItem.start_minute.remove(),
                    SessionItem.start_sk.remove(),
                ],
                owed=tell(after, going) if tell is not None and going else [],
            )

        return self.revise(series, session_id, original, decide)

    def move(
        self,
        series: SeriesItem,
        session_id: str,
        original: datetime,
        start: datetime,
        duration_minutes: int,
        tell: Tell,
    ) -> SessionItem | None:
        """Move one scheduled session; 409 `session_cancelled` if it is cancelled meanwhile."""

        def decide(current: SessionItem | None) -> Revision:
            if current is not None and current.status == CANCELLED:
                raise ConflictError("A cancelled session cannot be moved.", code="session_cancelled")
            going, waitlist = _roster(current)
            sequence = (int(current.sequence or 0) if current is not None else 0) + 1
            after = _projected(current, series, session_id, original, start=start, sequence=sequence)
            return Revision(
                going,
                waitlist,
                actions=[
                    SessionItem.start.set(start),
                    SessionItem.duration_minutes.set(duration_minutes),
                    SessionItem.moved.set(1),
                    SessionItem.sequence.set(sequence),
                    *index_actions(session_id, start),
                ],
                owed=tell(after, going) if going else [],
            )

        return self.revise(series, session_id, original, decide)

    def leave(
        self,
        series: SeriesItem,
        session_id: str,
        original: datetime,
        member_id: str,
        tell_promoted: Tell,
        withdrawn: Callable[[str], bool],
    ) -> SessionItem | None:
        """Take `member_id` off the session; a freed seat goes to the waitlist head in the same write.

        Idempotent: a member neither going nor waiting changes nothing. Notices owed to the
        member and not yet queued for which `withdrawn` is true are dropped with it.
        """

        def decide(current: SessionItem | None) -> Revision | None:
            going, waitlist = _roster(current)
            if current is None or (member_id not in going and member_id not in waitlist):
                return None
            going.discard(member_id)
            waitlist = [m for m in waitlist if m != member_id]
            return self._seated(
                current,
                series,
                session_id,
                original,
                going,
                waitlist,
                tell_promoted,
                keep_owed=lambda body: not withdrawn(body),
            )

        return self.revise(series, session_id, original, decide)

    def promote(
        self, series: SeriesItem, session_id: str, original: datetime, tell_promoted: Tell
    ) -> SessionItem | None:
        """Seat waiting members in free seats, first come first served (after a capacity change)."""

        def decide(current: SessionItem | None) -> Revision | None:
            going, waitlist = _roster(current)
            if current is None or current.status != SCHEDULED or not waitlist:
                return None
            seated_before = len(going)
            revision = self._seated(current, series, session_id, original, going, waitlist, tell_promoted)
            return revision if len(revision.going) > seated_before else None

        return self.revise(series, session_id, original, decide)

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
        """Members of a retired session join this one: seats while they last, then the waitlist.

        Members already here keep their place; those carried with a seat are told it moved,
        those who had a seat and now wait are told they lost it.
        """
        capacity = None if series.capacity is None else int(series.capacity)

        def decide(current: SessionItem | None) -> Revision | None:
            here, queue = _roster(current)
            arriving = [m for m in sorted(going) if m not in here and m not in queue]
            waiting = [m for m in waitlist if m not in here and m not in queue and m not in going]
            if not arriving and not waiting:
                return None
            seated = (
                {m for m in arriving[: max(0, capacity - len(here))]}
                if capacity is not None
                else set(arriving)
            )
            lost = {m for m in arriving if m not in seated}
            queue = [*queue, *[m for m in arriving if m in lost], *waiting]
            after = _projected(current, series, session_id, original)
            owed = (tell_moved(after, seated) if seated else []) + (tell_lost(after, lost) if lost else [])
            return Revision(here | seated, queue, actions=index_actions(session_id, after.start), owed=owed)

        return self.revise(series, session_id, original, decide)

    @staticmethod
    def _seated(
        current: SessionItem,
        series: SeriesItem,
        session_id: str,
        original: datetime,
        going: set[str],
        waitlist: list[str],
        tell_promoted: Tell,
        keep_owed: Callable[[str], bool] | None = None,
    ) -> Revision:
        capacity = None if series.capacity is None else int(series.capacity)
        promoted: list[str] = []
        if current.status == SCHEDULED:
            while waitlist and (capacity is None or len(going) < capacity):
                head = waitlist.pop(0)
                going.add(head)
                promoted.append(head)
        after = _projected(current, series, session_id, original)
        owed = [body for member in promoted for body in tell_promoted(after, {member})]
        return Revision(going, waitlist, owed=owed, keep_owed=keep_owed)

    def with_owed(self) -> list[SessionItem]:
        """Session items holding notices not yet queued (a sparse index)."""
        bind()
        with dependency():
            found = SessionItem.gsi1.query(keys.OWED_NOTICES)
            return [item for item in found if isinstance(item, SessionItem)]

    def settle(self, item: SessionItem, queued: list[str]) -> None:
        """Forget owed notices now queued: the first `len(queued)` entries, if still those."""
        bind()
        for start in range(0, len(queued), SETTLE_CHUNK):
            chunk = queued[start : start + SETTLE_CHUNK]
            condition = SessionItem.pk.exists()
            for index, body in enumerate(chunk):
                condition &= SessionItem.owed[index] == body
            remaining = len(item.owed or ()) - start - len(chunk)
            actions: list[Action]
            if remaining <= 0:
                condition &= size(SessionItem.owed) == len(chunk)
                actions = [
                    SessionItem.owed.remove(),
                    SessionItem.gsi1pk.remove(),
                    SessionItem.gsi1sk.remove(),
                ]
            else:
                actions = [SessionItem.owed[index].remove() for index in range(len(chunk))]
            actions.append(SessionItem.version.add(1))  # a change decided before this one re-reads
            target = self.blank(item.series_id, item.original_start)
            try:
                with conditional(lambda: ConflictError("changed")):
                    target.update(actions=actions, condition=condition)
            except ConflictError:
                return  # changed meanwhile (more owed, or settled elsewhere): the next drain sees it


def _except(actions: list[Action], overridden: list[Action]) -> list[Action]:
    """`actions` without those on an attribute `overridden` sets (one path per update expression)."""
    taken = {_attribute(action) for action in overridden}
    return [action for action in actions if _attribute(action) not in taken]


def _attribute(action: Action) -> str:
    """The top-level attribute an update action writes (its first operand is always a path)."""
    path: Any = action.values[0]
    return str(path.path[0])


def _roster(item: SessionItem | None) -> tuple[set[str], list[str]]:
    if item is None:
        return set(), []
    return set(item.going or ()), list(item.waitlist or ())


def index_actions(session_id: str, start: datetime) -> list[Action]:
    """Where the reminder sweep finds a session: its start's hour bucket and minute (`by_start`)."""
    minute = iso_minute(start)[:-1]
    return [
        SessionItem.start_minute.set(keys.start_minute(minute, keys.start_shard(session_id))),
        SessionItem.start_sk.set(keys.start_sort(minute, session_id)),
    ]


def _roster_actions(going: set[str], waitlist: list[str]) -> list[Action]:
    return [
        SessionItem.going.set(going) if going else SessionItem.going.remove(),
        SessionItem.waitlist.set(waitlist) if waitlist else SessionItem.waitlist.remove(),
    ]


def _owed_actions(owed: list[str], session_id: str) -> list[Action]:
    if not owed:
        return [SessionItem.owed.remove(), SessionItem.gsi1pk.remove(), SessionItem.gsi1sk.remove()]
    return [
        SessionItem.owed.set(owed),
        SessionItem.gsi1pk.set(keys.OWED_NOTICES),
        SessionItem.gsi1sk.set(session_id),
    ]


def _identity_actions(series: SeriesItem, session_id: str, original_start: datetime) -> list[Action]:
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


class _RefusedError(ConflictError):
    """A write's condition failed where the caller only needs to know it was refused."""


def _seats_free(capacity: int | None) -> Condition | None:
    """The condition that a seat is free: fewer members going than `capacity`."""
    if capacity is None:
        return None
    free: Condition = SessionItem.going.does_not_exist() | (size(SessionItem.going) < capacity)
    return free


def _open_to(member_id: str, now: datetime) -> Condition:
    """A session a member can still RSVP to: scheduled, not started, and they are not in it yet."""
    open_to: Condition = (
        (SessionItem.status.does_not_exist() | (SessionItem.status == SCHEDULED))
        & (SessionItem.start.does_not_exist() | (SessionItem.start > now))
        & ~SessionItem.going.contains(member_id)
        & ~SessionItem.waitlist.contains(member_id)
    )
    return open_to
