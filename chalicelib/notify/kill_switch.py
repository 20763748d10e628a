"""The kill switch: one SSM parameter that stops every outbound SMS and email at once.

`/hearth/<stage>/sending` (HEARTH_SENDING_SWITCH_PARAMETER) holds "on" or "paused". Every
send reads it (through `check()`, called where each SMS and email leaves Hearth), cached per
process for HEARTH_SENDING_SWITCH_CACHE_SECONDS, so flipping it stops all sending within that
time without a deploy. A paused send raises `SendingPausedError`, a transient failure: a
reminder is released, not marked sent, and comes back through SQS (then its dead-letter
queue, to redrive once sending is on again); an API call that sends (a verification code)
answers 503.

If the parameter cannot be read, the last value read stands; a process that never read it
sends (an SSM outage must not silence reminders), and says so in its logs.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from chalicelib import aws
from chalicelib.errors import DependencyError
from chalicelib.notify.senders import TransientSendError
from chalicelib.observability import count, logger
from chalicelib.settings import get_settings

ON = "on"

_lock = threading.Lock()
_known: tuple[bool, float] | None = None  # (paused, when it was read)
clock: Callable[[], float] = time.monotonic  # tests move time by replacing it


class SendingPausedError(TransientSendError, DependencyError):
    """The kill switch is set: nothing is sent until it is "on" again (a 503 for an API caller)."""

    code = "sending_paused"
    default_message = "Hearth is not sending messages right now; try again later."


def paused() -> bool:
    """Whether sending is paused now (cached for the configured seconds)."""
    global _known
    settings = get_settings()
    if not settings.sending_switch_parameter:
        return False
    now = clock()
    with _lock:
        if _known is not None and now - _known[1] < settings.sending_switch_cache_seconds:
            return _known[0]
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        answer = aws.client("ssm").get_parameter(Name=settings.sending_switch_parameter)
        state = answer["Parameter"]["Value"].strip().lower() != ON
    except (ClientError, BotoCoreError, KeyError) as exc:
        state = _known[0] if _known is not None else False
        logger().warning(
            "sending switch unreadable; keeping the last known state",
            extra={"error": type(exc).__name__, "paused": state},
        )
    with _lock:
        _known = (state, now)
    return state


def check() -> None:
    """Raise `SendingPausedError` if the kill switch is set."""
    if paused():
        count("sends_paused")
        raise SendingPausedError()


def reset() -> None:
    """Forget the cached state (tests)."""
    global _known
    with _lock:
        _known = None
