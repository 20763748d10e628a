"""IANA time zones, validated in one place for the whole app.

The shipped `tzdata` package is the reference list, so a name valid on a laptop
(which also has system zone files and names like "localtime") is valid on
Lambda too, where only `tzdata` exists.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

MESSAGE = "Not a known IANA time zone name (such as America/New_York)."


class TimezoneError(ValueError):
    pass


@cache
def _iana_names() -> frozenset[str]:
    names = resources.files("tzdata").joinpath("zones").read_text(encoding="utf-8").split()
    return frozenset(names) - {"Factory"}


def names() -> frozenset[str]:
    """Every zone name Hearth accepts."""
    return _iana_names()


@cache
def zone(name: str) -> ZoneInfo:
    """The zone called `name`; `TimezoneError` for anything that is not an IANA zone name."""
    if not isinstance(name, str) or name not in _iana_names():
        raise TimezoneError(MESSAGE)
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError  # on first use: it reads sysconfig at import

    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise TimezoneError(MESSAGE) from exc
