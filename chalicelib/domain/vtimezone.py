"""VTIMEZONE components (RFC 5545 §3.6.5) written from a zone's real transitions.

The transitions come from the same TZif data `zoneinfo` reads: the explicit list in the file, then
the POSIX TZ rule in its footer for later years (tzdata ships "slim" files, so a regular zone's
transitions after a few years ago exist only as that rule). Every change over the span a calendar
covers is written, however short the period between two changes (Morocco suspends its offset for
the weeks of Ramadan; sampling the zone every few weeks misses that).

Each observance's DTSTART (and RDATE) is the local time of the change read in the offset in force
*before* it (TZOFFSETFROM), as §3.6.5 says: New York's spring change is DTSTART 02:00 with
TZOFFSETFROM -0500, i.e. 07:00Z. Changes of one kind (same offsets and name) that fall on the n-th or
last weekday of a month at one local time, year after year, become one RRULE observance (Outlook
mishandles RDATE-only zones); the rest are listed with RDATE.
"""

from __future__ import annotations

import calendar as gregorian
import re
import struct
from bisect import bisect_right
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache
from importlib import resources
from pathlib import Path
from zoneinfo import TZPATH

from icalendar import Timezone, TimezoneDaylight, TimezoneStandard, vRecur

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
# A run of yearly changes this long or longer is written as an RRULE.
MIN_RULE_RUN = 2


@dataclass(frozen=True)
class Offset:
    """A local time type: offset from UTC, abbreviation, whether it counts as daylight time."""

    utc_offset: timedelta
    name: str
    is_dst: bool


@dataclass(frozen=True)
class Transition:
    """The zone changes from `before` to `after` at the instant `at`."""

    at: datetime
    before: Offset
    after: Offset

    @property
    def onset(self) -> datetime:
        """The naive local time of the change, read in the offset before it (RFC 5545 §3.6.5)."""
        return (self.at + self.before.utc_offset).replace(tzinfo=None)


# --- reading TZif ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Zone:
    times: tuple[int, ...]
    types: tuple[Offset, ...]  # the type each transition changes to
    initial: Offset  # the type before the first transition
    rule: _PosixRule | None  # the footer, for times after the last transition


def _tzif_bytes(name: str) -> bytes:
    """The file `zoneinfo.ZoneInfo(name)` reads: the first match on TZPATH, else the tzdata package."""
    for root in TZPATH:
        path = Path(root) / name
        if path.is_file():
            return path.read_bytes()
    return resources.files("tzdata.zoneinfo").joinpath(name).read_bytes()


@cache
def _zone(name: str) -> _Zone:
    data = _tzif_bytes(name)
    if data[:4] != b"TZif":
        raise ValueError("Not a TZif file.")
    counts = struct.unpack(">6l", data[20:44])
    isut, isstd, leap, timecnt, typecnt, charcnt = counts
    if data[4:5] < b"2":
        raise ValueError("TZif version 2 or later is needed.")
    offset = 44 + timecnt * 5 + typecnt * 6 + charcnt + leap * 8 + isstd + isut
    isut, isstd, leap, timecnt, typecnt, charcnt = struct.unpack(">6l", data[offset + 20 : offset + 44])
    at = offset + 44
    times = struct.unpack(f">{timecnt}q", data[at : at + 8 * timecnt])
    at += 8 * timecnt
    indexes = data[at : at + timecnt]
    at += timecnt
    raw_types = [struct.unpack(">lBB", data[at + 6 * i : at + 6 * i + 6]) for i in range(typecnt)]
    at += 6 * typecnt
    chars = data[at : at + charcnt]
    at += charcnt + leap * 12 + isstd + isut
    footer = data[at:].strip(b"\n").decode("ascii")

    def name_at(index: int) -> str:
        return chars[index : chars.index(b"\0", index)].decode("ascii")

    types = [Offset(timedelta(seconds=off), name_at(abbr), bool(dst)) for off, dst, abbr in raw_types]
    return _Zone(
        times=times,
        types=tuple(types[i] for i in indexes),
        initial=types[0],
        rule=_parse_posix(footer) if footer else None,
    )


# --- the POSIX TZ rule in the footer --------------------------------------------------------------

_NAME = r"(<[^>]+>|[A-Za-z]{3,})"
_OFFSET = r"([+-]?\d{1,3}(?::\d{2}){0,2})"
_POSIX = re.compile(rf"{_NAME}{_OFFSET}(?:{_NAME}{_OFFSET}?(?:,([^,]+),([^,]+))?)?")


@dataclass(frozen=True)
class _PosixRule:
    std: Offset
    dst: Offset | None
    start: str = ""  # when daylight time starts, in standard local time
    end: str = ""  # when it ends, in daylight local time

    def changes(self, year: int) -> list[tuple[datetime, Offset, Offset]]:
        """(instant, before, after) of the year's two changes; none for a zone without daylight time."""
        if self.dst is None:
            return []
        start = _rule_local(self.start, year) - self.std.utc_offset
        end = _rule_local(self.end, year) - self.dst.utc_offset
        return [
            (start.replace(tzinfo=UTC), self.std, self.dst),
            (end.replace(tzinfo=UTC), self.dst, self.std),
        ]


def _seconds(text: str) -> int:
    sign = -1 if text.startswith("-") else 1
    parts = [int(part) for part in text.lstrip("+-").split(":")]
    parts += [0] * (3 - len(parts))
    return sign * (parts[0] * 3600 + parts[1] * 60 + parts[2])


def _parse_posix(text: str) -> _PosixRule:
    match = _POSIX.fullmatch(text)
    if match is None:
        raise ValueError(f"Unsupported TZ rule {text!r}.")
    std_name, std_offset, dst_name, dst_offset, start, end = match.groups()
    std = Offset(timedelta(seconds=-_seconds(std_offset)), std_name.strip("<>"), False)
    if dst_name is None:
        return _PosixRule(std, None)
    dst_seconds = -_seconds(dst_offset) if dst_offset else int(std.utc_offset.total_seconds()) + 3600
    dst = Offset(timedelta(seconds=dst_seconds), dst_name.strip("<>"), True)
    if start is None or end is None:
        raise ValueError(f"TZ rule without change dates {text!r}.")
    return _PosixRule(std, dst, start, end)


def _rule_local(spec: str, year: int) -> datetime:
    """The naive local time of a POSIX rule date (`Mm.w.d`, `Jn` or `n`, with an optional `/time`)."""
    day_spec, _, time_spec = spec.partition("/")
    seconds = _seconds(time_spec) if time_spec else 7200
    if day_spec.startswith("M"):
        month, week, weekday = (int(part) for part in day_spec[1:].split("."))
        first = date(year, month, 1)
        day = first + timedelta(days=(weekday - (first.weekday() + 1) % 7) % 7 + 7 * (week - 1))
        while day.month != month:  # week 5 means the last such weekday
            day -= timedelta(days=7)
    elif day_spec.startswith("J"):  # 1..365, February 29 never counted
        ordinal = int(day_spec[1:])
        day = date(year, 1, 1) + timedelta(days=ordinal - 1)
        if gregorian.isleap(year) and ordinal >= 60:
            day += timedelta(days=1)
    else:  # 0..365, February 29 counted
        day = date(year, 1, 1) + timedelta(days=int(day_spec))
    return datetime.combine(day, datetime.min.time()) + timedelta(seconds=seconds)


# --- transitions ------------------------------------------------------------------------------------


def transitions(name: str, start: datetime, end: datetime) -> list[Transition]:
    """The change in force at `start` (possibly long before it) and every change up to `end`.

    A zone that never changed gets one change from its offset to itself at `start`, so that every
    VTIMEZONE has an observance.
    """
    zone = _zone(name)
    # Only the last change before `start` matters of everything earlier.
    first = max(bisect_right(zone.times, int((start - _EPOCH).total_seconds())) - 1, 0)
    last = bisect_right(zone.times, int((end - _EPOCH).total_seconds()))
    found: list[Transition] = []
    before = zone.types[first - 1] if first > 0 else zone.initial
    for index in range(first, last):
        after = zone.types[index]
        found.append(Transition(_EPOCH + timedelta(seconds=zone.times[index]), before, after))
        before = after
    last_explicit = _EPOCH + timedelta(seconds=zone.times[-1]) if zone.times else None
    if zone.rule is not None:
        first_year = max(start.year, last_explicit.year if last_explicit else start.year) - 1
        for year in range(first_year, end.year + 2):
            for instant, rule_before, rule_after in zone.rule.changes(year):
                if (last_explicit is None or instant > last_explicit) and instant <= end:
                    found.append(Transition(instant, rule_before, rule_after))
    found.sort(key=lambda transition: transition.at)
    changes = [t for t in found if t.before != t.after]
    in_force = [t for t in changes if t.at <= start]
    later = [t for t in changes if t.at > start]
    if in_force:
        return [in_force[-1], *later]
    first = later[0].before if later else (zone.rule.std if zone.rule else zone.initial)
    return [Transition(start, first, first), *later]


# --- VTIMEZONE ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _YearlyRule:
    month: int
    ordinal: int  # 1..4, or -1 for the last
    weekday: int

    def onset(self, year: int, like: datetime) -> datetime:
        days = gregorian.monthrange(year, self.month)[1]
        if self.ordinal > 0:
            first = date(year, self.month, 1)
            day = first + timedelta(days=(self.weekday - first.weekday()) % 7 + 7 * (self.ordinal - 1))
        else:
            last = date(year, self.month, days)
            day = last - timedelta(days=(last.weekday() - self.weekday) % 7)
        return datetime.combine(day, like.time())

    def text(self, until: datetime | None) -> vRecur:
        parts: dict[str, object] = {
            "FREQ": "YEARLY",
            "BYMONTH": self.month,
            "BYDAY": f"{self.ordinal}{_WEEKDAYS[self.weekday]}",
        }
        if until is not None:
            parts["UNTIL"] = until
        return vRecur(parts)


def _candidates(onset: datetime) -> list[_YearlyRule]:
    days = gregorian.monthrange(onset.year, onset.month)[1]
    found = []
    if onset.day + 7 > days:
        found.append(_YearlyRule(onset.month, -1, onset.weekday()))
    if onset.day <= 28:
        found.append(_YearlyRule(onset.month, (onset.day - 1) // 7 + 1, onset.weekday()))
    return found


def _run(onsets: list[Transition], rule: _YearlyRule) -> int:
    """How many of `onsets`, from the first, fall on `rule` in consecutive years."""
    first = onsets[0].onset
    length = 0
    for index, transition in enumerate(onsets):
        if transition.onset != rule.onset(first.year + index, first):
            break
        length += 1
    return length


def _observance(kind: Offset, before: Offset, onset: datetime) -> TimezoneStandard | TimezoneDaylight:
    component = TimezoneDaylight() if kind.is_dst else TimezoneStandard()
    component.add("dtstart", onset)
    component.add("tzoffsetfrom", before.utc_offset)
    component.add("tzoffsetto", kind.utc_offset)
    component.add("tzname", kind.name)
    return component


def vtimezone(name: str, start: datetime, end: datetime) -> Timezone:
    """The VTIMEZONE for zone `name`, exact for every instant in [start, end]."""
    changes = transitions(name, start, end)
    groups: dict[tuple[Offset, Offset], list[Transition]] = {}
    for transition in changes:
        groups.setdefault((transition.before, transition.after), []).append(transition)
    timezone = Timezone()
    timezone.add("tzid", name)
    observances: list[tuple[datetime, TimezoneStandard | TimezoneDaylight]] = []
    for (before, after), members in groups.items():
        singles: list[Transition] = []
        index = 0
        while index < len(members):
            rest = members[index:]
            runs = [(_run(rest, candidate), candidate) for candidate in _candidates(rest[0].onset)]
            length, rule = max(runs, key=lambda pair: pair[0], default=(0, None))
            if rule is None or length < MIN_RULE_RUN:
                singles.append(rest[0])
                index += 1
                continue
            last = rest[length - 1]
            # Open-ended when the rule still holds at the end of the span; otherwise it stops at UNTIL.
            still_holds = rule.onset(rest[0].onset.year + length, rest[0].onset) - before.utc_offset > (
                end.replace(tzinfo=None)
            )
            component = _observance(after, before, rest[0].onset)
            component.add("rrule", rule.text(None if still_holds else last.at))
            observances.append((rest[0].onset, component))
            index += length
        if singles:
            component = _observance(after, before, singles[0].onset)
            if len(singles) > 1:
                # One RDATE line per onset, DTSTART's included: ical.js reads only the first value
                # of an RDATE line and ignores the DTSTART of an observance with RDATEs (RFC 5545
                # counts it as the first onset; a repeated onset changes nothing).
                for transition in singles:
                    component.add("rdate", transition.onset)
            observances.append((singles[0].onset, component))
    for _onset, component in sorted(observances, key=lambda pair: pair[0]):
        timezone.add_component(component)
    return timezone
