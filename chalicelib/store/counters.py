"""Atomic fixed-window counters with TTL, for rate limits and daily caps.

One UpdateItem both creates and increments the counter, guarded by a condition
on its current value, so concurrent callers can never pass the limit together.
"""

from __future__ import annotations

from datetime import UTC, datetime

from pynamodb.attributes import NumberAttribute

from chalicelib.errors import RateLimitedError
from chalicelib.store import keys
from chalicelib.store.base import conditional, dependency
from chalicelib.store.tables import HearthItem, bind


class CounterItem(HearthItem, discriminator="counter"):
    count = NumberAttribute(default=0)


class CounterRepository:
    def reached(self, scope: str, subject: str, limit: int, period_seconds: int, now: datetime) -> None:
        """`RateLimitedError` if this window's count is already at `limit` (counts nothing)."""
        bind()
        epoch = int(now.timestamp())
        window = epoch // period_seconds
        key = keys.counter(scope, subject, window)
        with dependency():
            try:
                found = CounterItem.get(key.pk, key.sk)
            except CounterItem.DoesNotExist:
                return
        if int(found.count or 0) >= limit:
            raise RateLimitedError((window + 1) * period_seconds - epoch)

    def hit(self, scope: str, subject: str, limit: int, period_seconds: int, now: datetime) -> int:
        """Count one event; `RateLimitedError` (with Retry-After) once `limit` is reached."""
        bind()
        epoch = int(now.timestamp())
        window = epoch // period_seconds
        window_end = (window + 1) * period_seconds
        key = keys.counter(scope, subject, window)
        item = CounterItem(key.pk, key.sk)
        expires = datetime.fromtimestamp(window_end + period_seconds, UTC)
        with conditional(lambda: RateLimitedError(window_end - epoch)):
            item.update(
                actions=[
                    CounterItem.count.add(1),
                    CounterItem.kind.set(CounterItem),
                    CounterItem.expires_at.set(expires),
                ],
                condition=CounterItem.count.does_not_exist() | (CounterItem.count < limit),
            )
        return int(item.count)
