"""A group store for the use cases that only ask who runs and who belongs to a group, and the
notices a session change owes, recorded instead of queued."""

from __future__ import annotations

from datetime import datetime

from chalicelib.errors import DependencyError
from chalicelib.store.groups import GroupItem
from chalicelib.store.sessions import SeriesItem, SessionItem


class InMemoryGroupRepository:
    """`GroupRepository.get` over a dict (the reads `GroupService.visible/managed/inside` make)."""

    def __init__(self) -> None:
        self.items: dict[str, GroupItem] = {}

    def add(self, group_id: str, *, facilitator_ids: set[str], listed: bool = False) -> GroupItem:
        item = GroupItem(
            f"GROUP#{group_id}",
            "GROUP",
            group_id=group_id,
            name="Group",
            topic="support",
            timezone="America/New_York",
            access="invite",
            listed=listed,
            session_label="Group session",
            facilitator_ids=facilitator_ids,
        )
        self.items[group_id] = item
        return item

    def get(self, group_id: str, consistent: bool = False) -> GroupItem | None:
        return self.items.get(group_id)

    def session_labels(self, group_ids: list[str]) -> dict[str, str]:
        return {g: self.items[g].session_label for g in group_ids if g in self.items}


class RecordedNotices:
    """`SessionNotices` whose bodies read `kind member session start` and whose queue is a list.

    `failing` makes `deliver` refuse as a queue that is down does (the notices stay owed).
    """

    def __init__(self) -> None:
        self.delivered: list[str] = []
        self.failing = False

    @staticmethod
    def _bodies(kind: str, session: SessionItem, member_ids: set[str], *extra: str) -> list[str]:
        start = f"{session.start:%Y-%m-%dT%H:%MZ}"
        return [" ".join([kind, member, session.session_id, start, *extra]) for member in sorted(member_ids)]

    def cancelled(self, session: SessionItem, member_ids: set[str]) -> list[str]:
        return self._bodies("cancelled", session, member_ids)

    def moved(self, session: SessionItem, member_ids: set[str]) -> list[str]:
        return self._bodies("moved", session, member_ids, f"from {session.original_start:%Y-%m-%dT%H:%MZ}")

    def promoted(self, session: SessionItem, member_ids: set[str]) -> list[str]:
        return self._bodies("promoted", session, member_ids)

    def series_ended(self, series: SeriesItem, member_ids: set[str], at: datetime) -> list[str]:
        return [
            f"series_ended {member} {series.series_id} {at:%Y-%m-%dT%H:%MZ}" for member in sorted(member_ids)
        ]

    def is_for(self, body: str, member_id: str) -> bool:
        kind, member, *_rest = body.split(" ")
        return kind == "promoted" and member == member_id

    def deliver(self, bodies: list[str]) -> None:
        if self.failing:
            raise DependencyError("The queue is unavailable.")
        self.delivered += bodies

    def told(self, kind: str) -> list[str]:
        """Who was told `kind`, in delivery order."""
        return [body.split(" ")[1] for body in self.delivered if body.startswith(kind + " ")]
