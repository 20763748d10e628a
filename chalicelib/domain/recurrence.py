"""Recurring sessions: the RRULE subset Hearth accepts and its expansion in a series' own time zone.

A series is a naive local start (`YYYY-MM-DDTHH:MM`), an IANA zone and an RFC 5545 RRULE without
DTSTART. Everything that turns a series into instants lives here, so the API, the reminder sweep and
the .ics feeds agree to the minute:

- the rule is expanded with dateutil on naive wall-clock times, so 19:00 stays 19:00 across DST;
  occurrences are the rule's matches at or after the start (dateutil's reading, which is why the
  .ics anchors DTSTART on the first occurrence rather than on the start);
- a wall-clock time becomes an instant through `local_to_utc`: inside a spring-forward gap it is read
  with the offset before the gap (RFC 5545 §3.3.5: 02:30 New York on a change-over day is 03:30 EDT),
  an ambiguous fall-back time takes the first of its two instants (fold=0);
- an occurrence is identified by its original start in UTC, which session ids encode.

Limits (`validate_series`): a rule with neither COUNT nor UNTIL is open-ended and allowed, because
occurrences are only ever listed for a bounded window; a bounded rule may run at most two years and
500 occurrences. Every rule must have a session within a year of its start, which also guarantees
that expansion never scans centuries of empty periods.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dateutil import rrule as du
from dateutil.relativedelta import relativedelta

from chalicelib.domain import timezones

FREQUENCIES = ("DAILY", "WEEKLY", "MONTHLY")
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
MAX_INTERVAL = 12
MAX_COUNT = 500
MAX_SPAN = relativedelta(years=2)
FIRST_WITHIN = relativedelta(years=1)
MIN_DURATION_MINUTES = 15
MAX_DURATION_MINUTES = 240
MIN_YEAR = 2000
MAX_YEAR = 2199
MAX_RRULE_LENGTH = 200

_DU_FREQ = {"DAILY": du.DAILY, "WEEKLY": du.WEEKLY, "MONTHLY": du.MONTHLY}
_PARTS = ("FREQ", "INTERVAL", "BYDAY", "BYMONTHDAY", "BYSETPOS", "COUNT", "UNTIL", "WKST")
_START_LOCAL = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}")
_WEEKDAY_NUM = re.compile(r"([+-]?[0-9]{1,2})?(MO|TU|WE|TH|FR|SA|SU)")
_NUMBER = re.compile(r"[+-]?[0-9]{1,6}")
_UNTIL_DATE = re.compile(r"[0-9]{8}")
_UNTIL_UTC = re.compile(r"[0-9]{8}T[0-9]{6}Z")
_SERIES_ID = re.compile(r"[a-z][a-z0-9_]{0,63}")
_SESSION_ID = re.compile(r"([a-z][a-z0-9_]{0,63})\.([0-9]{8}T[0-9]{4}Z)")
# Local-time bounds are widened by this much before filtering on exact instants: no zone's offset
# has ever moved by more than a day at once.
_SLACK = timedelta(days=2)
# Any year that leaves a few years before datetime.MAXYEAR (see `_first_local`).
_PROBE_YEAR = 9996
_GREGORIAN_CYCLE_YEARS = 400


class RecurrenceError(ValueError):
    """A series Hearth cannot schedule; `field` names the input at fault."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def zone(name: str) -> ZoneInfo:
    """The IANA zone called `name`, or RecurrenceError(field="timezone")."""
    try:
        return timezones.zone(name)
    except timezones.TimezoneError as exc:
        raise RecurrenceError("timezone", str(exc)) from exc


def parse_start_local(text: str) -> datetime:
    """A naive local time from `YYYY-MM-DDTHH:MM`."""
    if not isinstance(text, str) or not _START_LOCAL.fullmatch(text):
        raise RecurrenceError("start_local", "Use a local time like 2026-12-01T19:00.")
    try:
        value = datetime.strptime(text, "%Y-%m-%dT%H:%M")
    except ValueError as exc:
        raise RecurrenceError("start_local", "Not a valid date and time.") from exc
    _check_start_local(value)
    return value


def format_start_local(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M")


def _check_start_local(value: datetime) -> None:
    if not isinstance(value, datetime) or value.tzinfo is not None:
        raise RecurrenceError("start_local", "The start must be a local time without an offset.")
    if value.second or value.microsecond:
        raise RecurrenceError("start_local", "The start must be a whole minute.")
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise RecurrenceError("start_local", f"The start must be between {MIN_YEAR} and {MAX_YEAR}.")


# --- the rule ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """A validated RRULE of Hearth's subset.

    `by_day` holds (ordinal, weekday) pairs, ordinal 0 meaning "every": `(-1, "FR")` is -1FR.
    `until` is a date (inclusive, in the series' zone) or an aware UTC datetime.
    """

    freq: str
    interval: int = 1
    by_day: tuple[tuple[int, str], ...] = ()
    by_month_day: tuple[int, ...] = ()
    by_set_pos: tuple[int, ...] = ()
    count: int | None = None
    until: date | datetime | None = None
    wkst: str = "MO"

    def __post_init__(self) -> None:
        _check_rule(self)
        # Canonical order, so equal rules compare and render equal whatever order they were typed in.
        object.__setattr__(
            self, "by_day", tuple(sorted(self.by_day, key=lambda d: (WEEKDAYS.index(d[1]), d[0])))
        )
        object.__setattr__(self, "by_month_day", tuple(sorted(self.by_month_day)))
        object.__setattr__(self, "by_set_pos", tuple(sorted(self.by_set_pos)))

    @property
    def is_bounded(self) -> bool:
        return self.count is not None or self.until is not None

    @property
    def text(self) -> str:
        """Canonical RFC 5545 text, without DTSTART."""
        parts = [f"FREQ={self.freq}"]
        if self.interval != 1:
            parts.append(f"INTERVAL={self.interval}")
        if self.by_day:
            parts.append("BYDAY=" + ",".join(f"{n or ''}{day}" for n, day in self.by_day))
        if self.by_month_day:
            parts.append("BYMONTHDAY=" + ",".join(map(str, self.by_month_day)))
        if self.by_set_pos:
            parts.append("BYSETPOS=" + ",".join(map(str, self.by_set_pos)))
        if self.wkst != "MO":
            parts.append(f"WKST={self.wkst}")
        if self.count is not None:
            parts.append(f"COUNT={self.count}")
        if isinstance(self.until, datetime):
            parts.append(f"UNTIL={self.until.astimezone(UTC):%Y%m%dT%H%M%SZ}")
        elif self.until is not None:
            parts.append(f"UNTIL={self.until:%Y%m%d}")
        return ";".join(parts)

    def __str__(self) -> str:
        return self.text


def _invalid(message: str) -> RecurrenceError:
    return RecurrenceError("rrule", message)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_rule(rule: Rule) -> None:
    if rule.freq not in FREQUENCIES:
        raise _invalid("FREQ must be DAILY, WEEKLY or MONTHLY.")
    if not _is_int(rule.interval) or not 1 <= rule.interval <= MAX_INTERVAL:
        raise _invalid(f"INTERVAL must be between 1 and {MAX_INTERVAL}.")
    if rule.wkst not in WEEKDAYS:
        raise _invalid("WKST must be a weekday (MO…SU).")
    if len(set(rule.by_day)) != len(rule.by_day):
        raise _invalid("BYDAY repeats a day.")
    for ordinal, day in rule.by_day:
        if day not in WEEKDAYS or not _is_int(ordinal):
            raise _invalid("BYDAY values are weekdays such as MO, or 1MO / -1FR in a monthly rule.")
        if ordinal and rule.freq != "MONTHLY":
            raise _invalid("Numbered weekdays such as -1FR need FREQ=MONTHLY.")
        if not -5 <= ordinal <= 5:
            raise _invalid("A numbered weekday must be between -5 and 5 (not 0).")
    if rule.by_month_day and rule.freq == "WEEKLY":
        raise _invalid("BYMONTHDAY cannot be used with FREQ=WEEKLY.")
    if len(set(rule.by_month_day)) != len(rule.by_month_day):
        raise _invalid("BYMONTHDAY repeats a day.")
    if any(not _is_int(day) or day == 0 or not -31 <= day <= 31 for day in rule.by_month_day):
        raise _invalid("BYMONTHDAY values must be between -31 and 31, not 0.")
    if rule.by_set_pos:
        if rule.freq == "DAILY":
            raise _invalid("BYSETPOS cannot be used with FREQ=DAILY.")
        if not (rule.by_day or rule.by_month_day):
            raise _invalid("BYSETPOS needs BYDAY or BYMONTHDAY.")
        limit = 7 if rule.freq == "WEEKLY" else 31
        if len(set(rule.by_set_pos)) != len(rule.by_set_pos):
            raise _invalid("BYSETPOS repeats a position.")
        if any(not _is_int(pos) or pos == 0 or not -limit <= pos <= limit for pos in rule.by_set_pos):
            raise _invalid(f"BYSETPOS values must be between -{limit} and {limit}, not 0.")
    if rule.count is not None and rule.until is not None:
        raise _invalid("Use COUNT or UNTIL, not both.")
    if rule.count is not None and (not _is_int(rule.count) or not 1 <= rule.count <= MAX_COUNT):
        raise _invalid(f"COUNT must be between 1 and {MAX_COUNT}.")
    if isinstance(rule.until, datetime):
        if rule.until.utcoffset() != timedelta(0):
            raise _invalid("UNTIL must be a date or a UTC time ending in Z.")
    elif rule.until is not None and not isinstance(rule.until, date):
        raise _invalid("UNTIL must be a date or a UTC time ending in Z.")


def parse_rrule(text: str) -> Rule:
    """A Rule from RFC 5545 text such as `FREQ=MONTHLY;BYDAY=-1FR` (an `RRULE:` prefix is tolerated)."""
    if not isinstance(text, str):
        raise _invalid("The rule must be text.")
    body = text.strip().upper()
    if len(body) > MAX_RRULE_LENGTH:
        raise _invalid("The rule is too long.")
    body = body.removeprefix("RRULE:")
    if not body:
        raise _invalid("The rule is empty.")
    parts: dict[str, str] = {}
    for part in body.split(";"):
        name, sep, value = part.partition("=")
        if not sep or not name or not value:
            raise _invalid("Each rule part must look like NAME=VALUE, separated by ';'.")
        if name == "DTSTART":
            raise _invalid("Leave DTSTART out of the rule: the series' start_local and timezone give it.")
        if name not in _PARTS:
            raise _invalid(f"{name[:20]} is not supported; use {', '.join(_PARTS)}.")
        if name in parts:
            raise _invalid(f"{name} appears twice.")
        parts[name] = value
    if "FREQ" not in parts:
        raise _invalid("The rule needs FREQ.")
    return Rule(
        freq=parts["FREQ"],
        interval=_number(parts.get("INTERVAL", "1"), "INTERVAL"),
        by_day=tuple(_weekday_num(value) for value in _values(parts, "BYDAY")),
        by_month_day=tuple(_number(value, "BYMONTHDAY") for value in _values(parts, "BYMONTHDAY")),
        by_set_pos=tuple(_number(value, "BYSETPOS") for value in _values(parts, "BYSETPOS")),
        count=_number(parts["COUNT"], "COUNT") if "COUNT" in parts else None,
        until=_until(parts["UNTIL"]) if "UNTIL" in parts else None,
        wkst=parts.get("WKST", "MO"),
    )


def _values(parts: dict[str, str], name: str) -> list[str]:
    return parts[name].split(",") if name in parts else []


def _number(value: str, name: str) -> int:
    if not _NUMBER.fullmatch(value):
        raise _invalid(f"{name} must be a whole number.")
    return int(value)


def _weekday_num(value: str) -> tuple[int, str]:
    match = _WEEKDAY_NUM.fullmatch(value)
    if not match:
        raise _invalid("BYDAY values are weekdays such as MO, or 1MO / -1FR in a monthly rule.")
    ordinal = int(match[1]) if match[1] else 0
    if match[1] and ordinal == 0:
        raise _invalid("A numbered weekday must be between -5 and 5 (not 0).")
    return ordinal, match[2]


def _until(value: str) -> date | datetime:
    try:
        if _UNTIL_DATE.fullmatch(value):
            return datetime.strptime(value, "%Y%m%d").date()
        if _UNTIL_UTC.fullmatch(value):
            return datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError as exc:
        raise _invalid("UNTIL is not a valid date.") from exc
    raise _invalid("UNTIL must be a date (20270101) or a UTC time ending in Z (20270101T000000Z).")


def _as_rule(rule: Rule | str) -> Rule:
    return rule if isinstance(rule, Rule) else parse_rrule(rule)


# --- wall clock and instants ---------------------------------------------------------------------


def _to_utc(local: datetime, zone_info: ZoneInfo) -> datetime:
    # fold=0 gives exactly RFC 5545's reading: a time in a gap takes the offset before the gap, an
    # ambiguous time the first of its two instants.
    return local.replace(tzinfo=zone_info, fold=0).astimezone(UTC)


def _to_local(instant: datetime, zone_info: ZoneInfo) -> datetime:
    return instant.astimezone(zone_info).replace(tzinfo=None, fold=0)


def local_to_utc(local: datetime, tz: str) -> datetime:
    """The instant of a naive wall-clock time in zone `tz` (gap: offset before it; overlap: first)."""
    if local.tzinfo is not None:
        raise ValueError("Expected a naive local time.")
    return _to_utc(local, zone(tz))


def utc_to_local(instant: datetime, tz: str) -> datetime:
    """The naive wall-clock time of an aware instant in zone `tz`."""
    if instant.tzinfo is None:
        raise ValueError("Expected an aware instant.")
    return _to_local(instant, zone(tz))


def nominal_local(original_start: datetime, tz: str, start_local: datetime) -> datetime:
    """The wall-clock time the rule gave an occurrence (what RECURRENCE-ID and EXDATE carry).

    It equals the occurrence's real wall-clock time except in a spring-forward gap, where the rule
    says 02:30 and the session starts at 03:30. Every occurrence of a series has the time of day of
    its start, which singles the nominal time out.
    """
    zone_info = zone(tz)
    local = _to_local(original_start, zone_info)
    for day in (local.date(), local.date() - timedelta(days=1)):
        candidate = datetime.combine(day, start_local.time())
        if _to_utc(candidate, zone_info) == original_start:
            return candidate
    return local


# --- expansion -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Occurrence:
    """One session of a series: `original_start` is its identity, `start` when it really begins."""

    original_start: datetime
    start: datetime
    start_local: datetime


def _rrule(rule: Rule, start_local: datetime, dtstart: datetime | None = None) -> du.rrule:
    """The dateutil rule on naive wall-clock times; `dtstart` may re-anchor it on a later period."""
    by_weekday = [du.weekdays[WEEKDAYS.index(day)](n or None) for n, day in rule.by_day] or None
    by_month_day = list(rule.by_month_day) or None
    # dateutil fills these defaults from dtstart; they must come from the series' own start so a
    # re-anchored rule keeps matching the same days.
    if not rule.by_day and not rule.by_month_day:
        if rule.freq == "WEEKLY":
            by_weekday = [start_local.weekday()]
        elif rule.freq == "MONTHLY":
            by_month_day = [start_local.day]
    return du.rrule(
        _DU_FREQ[rule.freq],
        dtstart=dtstart or start_local,
        interval=rule.interval,
        wkst=WEEKDAYS.index(rule.wkst),
        byweekday=by_weekday,
        bymonthday=by_month_day,
        bysetpos=list(rule.by_set_pos) or None,
        count=rule.count,
        cache=False,
    )


def _anchor(rule: Rule, start_local: datetime, lo: datetime) -> datetime:
    """A start for dateutil at least one whole period before `lo`, aligned with the series' periods.

    dateutil walks every period from its dtstart, so a series started years ago would be walked
    from its first week each time; a rule without COUNT matches the same days from any aligned period.
    """
    step = rule.interval
    if rule.freq == "DAILY":
        periods = (lo.date() - start_local.date()).days // step - 1
        if periods > 0:
            return start_local + timedelta(days=periods * step)
    elif rule.freq == "WEEKLY":
        week_start = start_local.date() - timedelta(
            days=(start_local.weekday() - WEEKDAYS.index(rule.wkst)) % 7
        )
        periods = (lo.date() - week_start).days // 7 // step - 1
        if periods > 0:
            return datetime.combine(week_start + timedelta(weeks=periods * step), start_local.time())
    else:
        months = (lo.year - start_local.year) * 12 + lo.month - start_local.month
        periods = months // step - 1
        if periods > 0:
            return start_local.replace(day=1) + relativedelta(months=periods * step)
    return start_local


def _until_cap(rule: Rule, zone_info: ZoneInfo) -> datetime | None:
    """A naive local time after which no occurrence can be within UNTIL (exact check: `_within_until`)."""
    if isinstance(rule.until, datetime):
        return _to_local(rule.until, zone_info) + _SLACK
    if rule.until is not None:
        return datetime.combine(rule.until + timedelta(days=1), time())
    return None


def _within_until(rule: Rule, local: datetime, instant: datetime) -> bool:
    if isinstance(rule.until, datetime):
        return instant <= rule.until
    if rule.until is not None:
        return local.date() <= rule.until
    return True


def _occurrences(
    rule: Rule, start_local: datetime, zone_info: ZoneInfo, lo: datetime, hi: datetime | None
) -> Iterator[tuple[datetime, datetime]]:
    """(nominal local, instant) of each occurrence with a nominal local time in [lo, hi], in order."""
    cap = _until_cap(rule, zone_info)
    if cap is not None:
        hi = cap if hi is None else min(hi, cap)
    # COUNT is counted from the series' start, so a counted rule cannot be re-anchored; it is at
    # most MAX_COUNT long.
    dtstart = start_local if rule.count is not None else _anchor(rule, start_local, lo)
    for local in _rrule(rule, start_local, dtstart):
        if hi is not None and local > hi:
            return
        if local < lo:
            continue
        instant = _to_utc(local, zone_info)
        if not _within_until(rule, local, instant):
            return
        yield local, instant


def expand(
    start_local: datetime, tz: str, rule: Rule | str, window_start: datetime, window_end: datetime
) -> list[Occurrence]:
    """Every occurrence whose start is in [window_start, window_end) (aware instants), sorted."""
    rule = _as_rule(rule)
    zone_info = zone(tz)
    if window_start.tzinfo is None or window_end.tzinfo is None:
        raise ValueError("Window bounds must be aware instants.")
    if window_end <= window_start:
        return []
    lo = _to_local(window_start, zone_info) - _SLACK
    hi = _to_local(window_end, zone_info) + _SLACK
    found: dict[datetime, Occurrence] = {}
    for _, instant in _occurrences(rule, start_local, zone_info, lo, hi):
        if window_start <= instant < window_end and instant not in found:
            found[instant] = Occurrence(instant, instant, _to_local(instant, zone_info))
    return sorted(found.values(), key=lambda occurrence: occurrence.start)


def next_occurrence(start_local: datetime, tz: str, rule: Rule | str, at: datetime) -> Occurrence | None:
    """The first occurrence starting at or after the instant `at`, or None when the series has ended.

    Assumes a rule that passed `validate_series` (it always matches again within a bounded time).
    """
    rule = _as_rule(rule)
    zone_info = zone(tz)
    lo = max(_to_local(at, zone_info) - _SLACK, start_local)
    for _, instant in _occurrences(rule, start_local, zone_info, lo, None):
        if instant >= at:
            return Occurrence(instant, instant, _to_local(instant, zone_info))
    return None


def first_occurrence(start_local: datetime, tz: str, rule: Rule | str) -> Occurrence | None:
    """The series' first occurrence (the rule's first match at or after `start_local`)."""
    return next_occurrence(start_local, tz, rule, local_to_utc(start_local, tz) - _SLACK)


def _first_local(rule: Rule, start_local: datetime) -> datetime | None:
    """The rule's first wall-clock match within FIRST_WITHIN of the start, in bounded time.

    dateutil keeps walking empty periods up to the year 9999 when a rule never matches (say
    FREQ=MONTHLY;BYDAY=-1MO;BYMONTHDAY=1). The Gregorian calendar, weekdays included, repeats every
    400 years, so the same rule run from the start moved by a multiple of 400 years near the end of
    the calendar matches on the same days, and gives up after a few years at most.
    """
    shift = (_PROBE_YEAR - start_local.year) // _GREGORIAN_CYCLE_YEARS * _GREGORIAN_CYCLE_YEARS
    probe = start_local.replace(year=start_local.year + shift)
    first = next(iter(_rrule(replace(rule, count=None, until=None), probe)), None)
    if first is None:
        return None
    first = first.replace(year=first.year - shift)
    return first if first <= start_local + FIRST_WITHIN else None


def validate_series(start_local: datetime, tz: str, rule: Rule | str, duration_minutes: int) -> None:
    """Raise RecurrenceError unless Hearth can schedule this series.

    Open-ended rules (no COUNT, no UNTIL) are allowed: sessions are listed for a bounded window on
    demand and materialised for a rolling horizon. Bounded rules may run at most two years from the
    start and MAX_COUNT occurrences. Every rule needs a session within a year of its start.
    """
    zone_info = zone(tz)
    _check_start_local(start_local)
    if not _is_int(duration_minutes) or not MIN_DURATION_MINUTES <= duration_minutes <= MAX_DURATION_MINUTES:
        raise RecurrenceError(
            "duration_minutes",
            f"A session lasts between {MIN_DURATION_MINUTES} and {MAX_DURATION_MINUTES} minutes.",
        )
    rule = _as_rule(rule)
    first = _first_local(rule, start_local)
    if first is None:
        raise _invalid("The rule has no session in the year after the start.")
    if not _within_until(rule, first, _to_utc(first, zone_info)):
        raise _invalid("UNTIL is before the first session.")
    limit = start_local + MAX_SPAN
    if isinstance(rule.until, datetime):
        too_late = rule.until > _to_utc(limit, zone_info)
    else:
        too_late = rule.until is not None and rule.until > limit.date()
    if too_late:
        raise _invalid("A series with an end date may run at most two years.")
    if rule.is_bounded:
        sessions = _occurrences(rule, start_local, zone_info, start_local, None)
        for total, (local, _) in enumerate(sessions, start=1):
            if local > limit:
                raise _invalid("COUNT runs the series past two years.")
            if total > MAX_COUNT:
                raise _invalid(f"A series may have at most {MAX_COUNT} sessions.")


# --- splitting a series ("this and following") ---------------------------------------------------


def truncate_before(rule: Rule | str, start_local: datetime, tz: str, before: datetime) -> Rule | None:
    """The rule whose occurrences are exactly the original ones starting before `before`.

    None when no occurrence starts before `before` (the old series then has nothing left). COUNT
    rules keep a smaller COUNT; the others end with UNTIL = the last kept occurrence's UTC start.
    """
    rule = _as_rule(rule)
    zone_info = zone(tz)
    last: datetime | None = None
    kept = 0
    for _, instant in _occurrences(
        rule, start_local, zone_info, start_local, _to_local(before, zone_info) + _SLACK
    ):
        if instant < before:
            last, kept = instant, kept + 1
    if last is None:
        return None
    if rule.count is not None:
        return replace(rule, count=kept)
    return replace(rule, until=last)


def remainder_from(
    rule: Rule | str, start_local: datetime, tz: str, at: datetime
) -> tuple[datetime, Rule] | None:
    """(start_local, rule) of a new series whose occurrences are exactly the original ones from `at` on.

    The new series starts at the first such occurrence, which keeps INTERVAL's weeks and months
    aligned; a COUNT rule keeps only the occurrences not yet used. None when nothing remains.
    """
    rule = _as_rule(rule)
    following = next_occurrence(start_local, tz, rule, at)
    if following is None:
        return None
    new_start = nominal_local(following.original_start, tz, start_local)
    if rule.count is None:
        return new_start, rule
    head = truncate_before(rule, start_local, tz, following.original_start)
    used = head.count if head is not None and head.count is not None else 0
    return new_start, replace(rule, count=rule.count - used)


def utc_until(rule: Rule | str, start_local: datetime, tz: str) -> Rule:
    """The rule with a date UNTIL replaced by its last occurrence's UTC start.

    RFC 5545 wants a UTC UNTIL when DTSTART carries a TZID; calendar clients disagree about a date.
    """
    rule = _as_rule(rule)
    if rule.until is None or isinstance(rule.until, datetime):
        return rule
    zone_info = zone(tz)
    last = None
    for _, instant in _occurrences(rule, start_local, zone_info, start_local, None):
        last = instant
    if last is None:
        raise _invalid("UNTIL is before the first session.")
    return replace(rule, until=last)


# --- session ids ---------------------------------------------------------------------------------


def session_id(series_id: str, original_start: datetime) -> str:
    """`<series_id>.<YYYYMMDDTHHMMZ>`: deterministic and URL-safe; series ids never contain '.'."""
    if not isinstance(series_id, str) or not _SERIES_ID.fullmatch(series_id):
        raise ValueError("Not a series id.")
    if original_start.tzinfo is None:
        raise ValueError("Expected an aware instant.")
    instant = original_start.astimezone(UTC)
    if instant.second or instant.microsecond:
        raise ValueError("Occurrences start on a whole minute.")
    return f"{series_id}.{instant:%Y%m%dT%H%MZ}"


def parse_session_id(value: str) -> tuple[str, datetime]:
    """(series_id, original_start) from a session id; ValueError when malformed."""
    match = _SESSION_ID.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise ValueError("Not a session id.")
    try:
        instant = datetime.strptime(match[2], "%Y%m%dT%H%MZ").replace(tzinfo=UTC)
    except ValueError as exc:
        raise ValueError("Not a session id.") from exc
    if not 2000 <= instant.year < 2200:  # arithmetic on dates near year 1 or 9999 overflows
        raise ValueError("Not a session id.")
    return match[1], instant
