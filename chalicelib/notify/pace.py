"""One pace for every outbound text and email, shared by every process that sends.

Before a message goes to the provider its sender books the second it will go in (store/pace.py),
counting SMS message parts, and waits for that second. The limit a second holds depends on who
is sending, so codes and replies go first, reminders next, notices last:

- `INTERACTIVE` (verification codes, replies to a person who just texted) may fill a second;
- `REMINDER` leaves a tenth of each second (or, below 10 per second, every fifth second) free;
- `NOTICE` leaves twice that.

A message that finds no second free within its wait raises `PacedLaterError` (transient: it is
retried later, not sent late); one with a deadline (a reminder must arrive before its session
starts) that finds none before it raises `TooLateError`. A provider's throttle takes the next
second away from everyone and the message is retried after it.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime

from chalicelib.store.pace import PaceRepository

INTERACTIVE = "interactive"
REMINDER = "reminder"
NOTICE = "notice"
MAX_WAIT = {INTERACTIVE: 20, REMINDER: 10, NOTICE: 10}  # seconds a sender waits for its second
THROTTLE_PAUSE = 1  # seconds taken from everyone when the provider throttles


@dataclass(frozen=True)
class Pacing:
    priority: str = NOTICE
    deadline: datetime | None = None  # the last instant the message may be handed to the provider
    expires: datetime | None = None  # after this it is worthless: the carrier is told to drop it


_pacing: ContextVar[Pacing | None] = ContextVar("pacing", default=None)


@contextmanager
def sending(
    priority: str, deadline: datetime | None = None, expires: datetime | None = None
) -> Iterator[None]:
    """Sends inside this block are paced as `priority`, refused after `deadline`, and live until
    `expires` (by default the deadline: what may not be handed over then is not wanted later)."""
    token = _pacing.set(Pacing(priority, deadline, expires if expires is not None else deadline))
    try:
        yield
    finally:
        _pacing.reset(token)


def current() -> Pacing:
    return _pacing.get() or Pacing()


def limit(priority: str, rate: int, second: int) -> int:
    """Parts `priority` may book in `second` at `rate` parts per second."""
    if priority == INTERACTIVE:
        return rate
    steps = 1 if priority == REMINDER else 2
    reserve = rate // 10
    if reserve:
        return max(1, rate - steps * reserve)
    return 0 if second % 5 < steps else rate


def _epoch(instant: datetime) -> float:
    return instant.astimezone(UTC).timestamp()


def _instant(second: float) -> datetime:
    return datetime.fromtimestamp(second, UTC)


class PaceFullError(Exception):
    """No second was free within the wait (`retry_at`: when to try again), or before `deadline`."""

    def __init__(self, retry_at: datetime, too_late: bool) -> None:
        super().__init__("too late" if too_late else "paced later")
        self.retry_at = retry_at
        self.too_late = too_late


class Pacer:
    def __init__(
        self,
        repository: PaceRepository | None = None,
        clock: Callable[[], datetime] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.repository = repository or PaceRepository()
        self.clock = clock or (lambda: datetime.now(UTC))
        self.sleep = sleep
        self._full_before: dict[tuple[str, str], int] = {}  # seconds this process saw full

    def wait_turn(self, channel: str, parts: int, rate: int, pacing: Pacing) -> datetime:
        """Book `parts` on `channel` in the first seconds free for `pacing`, wait for the last of
        them and return it; `PaceFullError` if none is free within the wait or the deadline."""
        now = self.clock()
        first = math.floor(_epoch(now))
        last = first + MAX_WAIT.get(pacing.priority, MAX_WAIT[NOTICE])
        too_late = False
        if pacing.deadline is not None and math.floor(_epoch(pacing.deadline)) <= last:
            last, too_late = math.floor(_epoch(pacing.deadline)), True
        cursor = max(first, self._full_before.get((channel, pacing.priority), first))
        left = parts
        while left and cursor <= last:
            allowed = limit(pacing.priority, rate, cursor)
            piece = min(left, allowed)  # a text longer than a second's parts spans seconds
            if piece and self.repository.book(channel, cursor, piece, allowed):
                left -= piece
                if left:
                    cursor += 1
            else:
                cursor += 1
                if left == parts:
                    self._full_before[(channel, pacing.priority)] = cursor
        if left:
            raise PaceFullError(_instant(cursor), too_late=too_late)
        wait = cursor - _epoch(self.clock())
        if wait > 0:
            self.sleep(wait)
        return max(now, _instant(cursor))

    def throttled(self, channel: str, rate: int) -> datetime:
        """The provider refused for rate: the next second is taken from every sender."""
        following = math.floor(_epoch(self.clock())) + 1
        for second in range(following, following + THROTTLE_PAUSE):
            self.repository.fill(channel, second, rate)
        return _instant(following + THROTTLE_PAUSE)
