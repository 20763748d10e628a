"""What the store contracts share: one weekly series, the instants around its first session, and
notices that name what they were told (so the fake and the repository must agree on them too)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from chalicelib.domain import recurrence

START = datetime(2026, 12, 2, 0, 0, tzinfo=UTC)  # the first session: Tuesday 19:00 in New York
NOW = START - timedelta(days=1)


def weekly(series_store: Any, capacity: int | None = 2, series_id: str = "ser_contract") -> Any:
    item = series_store.new_item(
        series_id,
        "grp_contract",
        title="Group session",
        start_local="2026-12-01T19:00",
        timezone="America/New_York",
        duration_minutes=60,
        rrule="FREQ=WEEKLY",
        capacity=capacity,
        status="active",
        sequence=0,
    )
    series_store.create(item)
    return item


def session_id(series: Any, original: datetime = START) -> str:
    return recurrence.session_id(series.series_id, original)


def never(_body: str) -> bool:
    return False


def untold(_item: Any, _members: set[str]) -> list[str]:
    return []


def telling(kind: str) -> Callable[[Any, set[str]], list[str]]:
    """Notices naming the kind, member, session, its start and sequence as the change projects them."""

    def tell(after: Any, members: set[str]) -> list[str]:
        shown = f"{after.session_id} {after.start:%Y-%m-%dT%H:%MZ} {int(after.sequence or 0)}"
        return [f"{kind} {member} {shown}" for member in sorted(members)]

    return tell
