"""The shared sending pace: message parts booked per UTC second, per channel.

Every sender in every process books the second it sends in before it sends, with one
conditional update that adds its parts only if the second stays within its limit: no read
precedes the write, so concurrent workers never overbook. Each second is its own item (its own
partition key), so no key is hot: a second is written only by the senders booking it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pynamodb.attributes import NumberAttribute
from pynamodb.expressions.update import Action

from chalicelib.errors import ConflictError
from chalicelib.store import keys
from chalicelib.store.base import conditional
from chalicelib.store.tables import HearthItem, bind

KEPT = timedelta(hours=1)


class PaceItem(HearthItem, discriminator="pace"):
    used = NumberAttribute(default=0)


class SecondFullError(ConflictError):
    code = "second_full"


class PaceRepository:
    def book(self, channel: str, second: int, parts: int, limit: int) -> bool:
        """Add `parts` to `second` if it then holds at most `limit`; False if it is full."""
        bind()
        key = keys.pace(channel, second)
        item = PaceItem(key.pk, key.sk)
        room = limit - parts
        if room < 0:
            return False
        condition = PaceItem.used.does_not_exist() | (PaceItem.used <= room)
        try:
            with conditional(lambda: SecondFullError("full")):
                item.update(actions=_booking(second, parts), condition=condition)
        except SecondFullError:
            return False
        return True

    def fill(self, channel: str, second: int, parts: int) -> None:
        """Take `parts` of a second whatever it holds (a provider's throttle slows everyone)."""
        bind()
        key = keys.pace(channel, second)
        with conditional(lambda: SecondFullError("full")):
            PaceItem(key.pk, key.sk).update(actions=_booking(second, parts))


def _booking(second: int, parts: int) -> list[Action]:
    return [
        PaceItem.kind.set(PaceItem),
        PaceItem.used.add(parts),
        PaceItem.expires_at.set(datetime.fromtimestamp(second, UTC) + KEPT),
    ]
