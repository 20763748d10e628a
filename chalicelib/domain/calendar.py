"""iCalendar (RFC 5545) feeds of sessions, written with the `icalendar` library.

One master VEVENT per series: DTSTART in the series' zone plus its RRULE, so calendar clients keep
the wall-clock time across DST exactly as `recurrence.expand` does. A cancelled occurrence is an
EXDATE on the master; a moved one is an overriding VEVENT with the same UID and a RECURRENCE-ID.
Events carry only the neutral summary they are given, never a group's name or topic (calendars sync
to lock screens), and a link only when the caller allows it.

Clients read some local times differently from RFC 5545 and from Hearth (measured with Mozilla
ical.js, node-ical, python icalendar): an ambiguous fall-back time as its second instant, a duration
as wall-clock time. So every occurrence of the covered span that a client could misread gets an
override that names its instants exactly: one whose nominal local time is ambiguous or falls in a
gap, or that spans a change of offset. Its DTSTART and DTEND are local times with TZID where those
are unambiguous and UTC otherwise. The master keeps DURATION: without a change of offset inside an
occurrence, wall-clock and exact durations agree. VTIMEZONEs come from `vtimezone`, written from the
zone's real transitions over the span the calendar covers.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, vDuration, vRecur, vText

from chalicelib.domain import recurrence, vtimezone

PRODID = "-//Hearth//Hearth 1//EN"
UID_DOMAIN = "hearth"
REFRESH_INTERVAL = timedelta(hours=1)
# A calendar covers its series from their first session to this many years past now (enough for a
# calendar refreshed hourly): its VTIMEZONEs are exact there, and occurrences that clients would
# misread there get overrides.
TIMEZONE_YEARS_AHEAD = 12
CANCELLED = "cancelled"
MOVED = "moved"


@dataclass(frozen=True)
class CalendarException:
    """One changed occurrence: cancelled, or moved to `start` (aware) for `duration_minutes`.

    `sequence` counts the changes made to this occurrence; its override's SEQUENCE is the series'
    sequence plus this, so it never drops below the master's and grows when either changes.
    """

    original_start: datetime
    status: str
    start: datetime | None = None
    duration_minutes: int | None = None
    sequence: int = 1

    def __post_init__(self) -> None:
        if self.original_start.tzinfo is None or (self.start is not None and self.start.tzinfo is None):
            raise ValueError("Exception times must be aware instants.")
        if self.status not in (CANCELLED, MOVED):
            raise ValueError("An exception is cancelled or moved.")
        if self.status == MOVED and self.start is None:
            raise ValueError("A moved occurrence needs its new start.")


@dataclass(frozen=True)
class CalendarSeries:
    """A series as a calendar shows it. `sequence` must grow with every change, cancellations included."""

    series_id: str
    start_local: datetime
    timezone: str
    duration_minutes: int
    rrule: str | recurrence.Rule
    sequence: int = 0
    exceptions: Sequence[CalendarException] = ()
    url: str | None = None


def uid(series_id: str) -> str:
    return f"{series_id}@{UID_DOMAIN}"


def span(series: Iterable[CalendarSeries], now: datetime) -> tuple[datetime, datetime]:
    """The instants a calendar of these series covers: from the first session to the years ahead."""
    stamp = now.astimezone(UTC)
    first = datetime(stamp.year, 1, 1, tzinfo=UTC)
    for item in series:
        start = recurrence.local_to_utc(item.start_local, item.timezone)
        moved = [exception.start for exception in item.exceptions if exception.start is not None]
        first = min([first, start, *moved])
    # a day of slack either side: local dates near the edges are read in zones up to 14 hours away
    return first - timedelta(days=1), datetime(stamp.year + TIMEZONE_YEARS_AHEAD, 1, 1, tzinfo=UTC)


def render_calendar(
    series: Iterable[CalendarSeries], *, summary: str, calendar_name: str, include_links: bool, now: datetime
) -> bytes:
    """The .ics bytes (CRLF, folded at 75 octets by the library) for these series."""
    series = list(series)
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", vText(calendar_name))  # TEXT (RFC 5545 §3.3.11): escaped
    calendar.add("refresh-interval", REFRESH_INTERVAL, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", vDuration(REFRESH_INTERVAL))
    stamp = now.astimezone(UTC)
    covered = span(series, now)
    zones: list[str] = []
    events: list[Event] = []
    for item in series:
        found = _events(item, summary=summary, include_links=include_links, stamp=stamp, until=covered[1])
        events.extend(found)
        if found and item.timezone not in zones:
            zones.append(item.timezone)
    for name in zones:
        calendar.add_component(vtimezone.vtimezone(name, *covered))
    for event in events:
        calendar.add_component(event)
    return calendar.to_ical()


def _events(
    series: CalendarSeries, *, summary: str, include_links: bool, stamp: datetime, until: datetime
) -> list[Event]:
    tz = series.timezone
    zone_info = recurrence.zone(tz)
    first = recurrence.first_occurrence(series.start_local, tz, series.rrule)
    if first is None:
        return []
    rule = _until_for_every_client(series, zone_info)
    url = series.url if include_links else None
    duration = timedelta(minutes=series.duration_minutes)

    def nominal(original_start: datetime) -> datetime:
        return recurrence.nominal_local(original_start.astimezone(UTC), tz, series.start_local)

    def override(original_start: datetime, start: datetime, end: datetime, sequence: int) -> Event:
        event = _event(series.series_id, summary=summary, url=url, stamp=stamp, sequence=sequence)
        event.add("recurrence-id", nominal(original_start).replace(tzinfo=zone_info))
        event.add("dtstart", _in_zone(start, zone_info))
        event.add("dtend", _in_zone(end, zone_info))
        return event

    # DTSTART is the first occurrence, not the series' start: RFC 5545 leaves a DTSTART the rule does
    # not match undefined, and some clients would show it as an extra session.
    master = _event(series.series_id, summary=summary, url=url, stamp=stamp, sequence=series.sequence)
    master.add("dtstart", nominal(first.original_start).replace(tzinfo=zone_info))
    master.add("duration", duration)
    master.add("rrule", vRecur.from_ical(rule.text))
    changed = {exception.original_start.astimezone(UTC): exception for exception in series.exceptions}
    cancelled = sorted(
        nominal(exception.original_start).replace(tzinfo=zone_info)
        for exception in series.exceptions
        if exception.status == CANCELLED
    )
    if cancelled:
        master.add("exdate", cancelled)
    events = [master]
    for exception in series.exceptions:
        if exception.status != MOVED or exception.start is None:
            continue
        minutes = exception.duration_minutes or series.duration_minutes
        events.append(
            override(
                exception.original_start,
                exception.start,
                exception.start + timedelta(minutes=minutes),
                series.sequence + exception.sequence,
            )
        )
    for occurrence in recurrence.expand(series.start_local, tz, rule, first.original_start, until):
        if occurrence.original_start in changed:
            continue
        if _misread(nominal(occurrence.original_start), occurrence.start, duration, zone_info):
            events.append(
                override(
                    occurrence.original_start, occurrence.start, occurrence.start + duration, series.sequence
                )
            )
    return events


def _until_for_every_client(series: CalendarSeries, zone_info: ZoneInfo) -> recurrence.Rule:
    """The rule with a UTC UNTIL that keeps its last session for every client.

    UNTIL is the last session's instant; when that session's local time is ambiguous, a client that
    reads it as the second instant would find it after UNTIL and drop it, so UNTIL becomes the
    second instant (no other session can fall in between: sessions are at least a day apart).
    """
    rule = recurrence.utc_until(series.rrule, series.start_local, series.timezone)
    if not isinstance(rule.until, datetime):
        return rule
    local = rule.until.astimezone(zone_info)
    later = local.replace(fold=1)
    if local.fold or later.utcoffset() == local.utcoffset():
        return rule
    last = recurrence.expand(
        series.start_local, series.timezone, rule, rule.until, rule.until + timedelta(minutes=1)
    )
    if not last:
        return rule
    return dataclasses.replace(rule, until=later.astimezone(UTC))


def _misread(local: datetime, start: datetime, duration: timedelta, zone_info: ZoneInfo) -> bool:
    """Whether a client could read this occurrence of the rule at other instants than Hearth's.

    True when its local time is ambiguous (clients differ on which instant) or does not exist (a
    gap), or when the offset changes between its start and end (clients add the duration on the
    wall clock).
    """
    first, second = local.replace(tzinfo=zone_info, fold=0), local.replace(tzinfo=zone_info, fold=1)
    if first.utcoffset() != second.utcoffset():
        return True
    end = start + duration
    return start.astimezone(zone_info).utcoffset() != end.astimezone(zone_info).utcoffset()


def _event(series_id: str, *, summary: str, url: str | None, stamp: datetime, sequence: int) -> Event:
    event = Event()
    event.add("uid", uid(series_id))
    event.add("dtstamp", stamp)
    event.add("summary", summary)
    event.add("sequence", sequence)
    if url:
        event.add("url", url)
        event.add("description", url)
    return event


def _in_zone(instant: datetime, zone_info: ZoneInfo) -> datetime:
    """The instant as local time with TZID, or in UTC when that local time is ambiguous.

    Clients disagree on which of two ambiguous instants a local time with TZID names (RFC 5545 says
    the first; ical.js and node-ical take the second), so either 01:30 of a fall-back night is
    written in UTC.
    """
    local = instant.astimezone(zone_info)
    if local.replace(fold=0).utcoffset() == local.replace(fold=1).utcoffset():
        return local.replace(fold=0)
    return instant.astimezone(UTC)
