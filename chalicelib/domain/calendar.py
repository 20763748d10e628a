"""iCalendar (RFC 5545) feeds of sessions, written with the `icalendar` library.

One master VEVENT per series: DTSTART in the series' zone plus its RRULE, so calendar clients keep
the wall-clock time across DST exactly as `recurrence.expand` does. A cancelled occurrence is an
EXDATE on the master; a moved one is an overriding VEVENT with the same UID and a RECURRENCE-ID.
VTIMEZONE components are generated from the same zoneinfo data the API uses. Events carry only the
neutral summary they are given, never a group's name or topic (calendars sync to lock screens), and a
link only when the caller allows it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, vDuration, vRecur

from chalicelib.domain import recurrence

PRODID = "-//Hearth//Hearth 1//EN"
UID_DOMAIN = "hearth"
REFRESH_INTERVAL = timedelta(hours=1)
# VTIMEZONE components list each DST change explicitly; this many years past now is enough for a
# calendar that is refreshed hourly.
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


def render_calendar(
    series: Iterable[CalendarSeries], *, summary: str, calendar_name: str, include_links: bool, now: datetime
) -> bytes:
    """The .ics bytes (CRLF, folded at 75 octets by the library) for these series."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", calendar_name)
    calendar.add("refresh-interval", REFRESH_INTERVAL, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", vDuration(REFRESH_INTERVAL))
    stamp = now.astimezone(UTC)
    first_year = stamp.year
    for item in series:
        events = _events(item, summary=summary, include_links=include_links, stamp=stamp)
        for event in events:
            calendar.add_component(event)
        if events:
            first_year = min(first_year, item.start_local.year)
    calendar.add_missing_timezones(
        first_date=date(first_year, 1, 1), last_date=date(stamp.year + TIMEZONE_YEARS_AHEAD, 1, 1)
    )
    return calendar.to_ical()


def _events(series: CalendarSeries, *, summary: str, include_links: bool, stamp: datetime) -> list[Event]:
    tz = series.timezone
    zone_info = recurrence.zone(tz)
    first = recurrence.first_occurrence(series.start_local, tz, series.rrule)
    if first is None:
        return []
    rule = recurrence.utc_until(series.rrule, series.start_local, tz)
    url = series.url if include_links else None

    def nominal(original_start: datetime) -> datetime:
        local = recurrence.nominal_local(original_start.astimezone(UTC), tz, series.start_local)
        return local.replace(tzinfo=zone_info)

    # DTSTART is the first occurrence, not the series' start: RFC 5545 leaves a DTSTART the rule does
    # not match undefined, and some clients would show it as an extra session.
    master = _event(series.series_id, summary=summary, url=url, stamp=stamp, sequence=series.sequence)
    master.add("dtstart", nominal(first.original_start))
    master.add("duration", timedelta(minutes=series.duration_minutes))
    master.add("rrule", vRecur.from_ical(rule.text))
    cancelled = sorted(
        nominal(exception.original_start) for exception in series.exceptions if exception.status == CANCELLED
    )
    if cancelled:
        master.add("exdate", cancelled)
    events = [master]
    for exception in series.exceptions:
        if exception.status != MOVED or exception.start is None:
            continue
        minutes = exception.duration_minutes or series.duration_minutes
        override = _event(
            series.series_id,
            summary=summary,
            url=url,
            stamp=stamp,
            sequence=series.sequence + exception.sequence,
        )
        override.add("recurrence-id", nominal(exception.original_start))
        override.add("dtstart", _in_zone(exception.start, zone_info))
        override.add("dtend", _in_zone(exception.start + timedelta(minutes=minutes), zone_info))
        events.append(override)
    return events


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
    """The instant as local time with TZID, or in UTC when that local time would read as another instant.

    A local time with TZID always reads as the first of two ambiguous instants, so the second 01:30 of
    a fall-back night can only be written in UTC.
    """
    local = instant.astimezone(zone_info).replace(fold=0)
    if local.astimezone(UTC) == instant.astimezone(UTC):
        return local
    return instant.astimezone(UTC)
