"""VTIMEZONEs against zoneinfo, instant by instant, for every IANA zone, as Mozilla ical.js reads them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from importlib import resources
from zoneinfo import ZoneInfo

import icalendar

from chalicelib.domain import calendar, vtimezone
from tests.clients import icaljs

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
HALF_HOUR = timedelta(minutes=30)


def iana_zones() -> list[str]:
    names = resources.files("tzdata").joinpath("zones").read_text(encoding="utf-8").split()
    return sorted(set(names) - {"Factory"})


def _exists_once(local: datetime, zone: ZoneInfo) -> bool:
    first, second = local.replace(tzinfo=zone, fold=0), local.replace(tzinfo=zone, fold=1)
    if first.utcoffset() != second.utcoffset():
        return False  # ambiguous or in a gap: Hearth never writes such a time with a TZID
    return first.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == local


def _checks(name: str, start: datetime, end: datetime) -> list[list[int]]:
    """Local times to read, each with zoneinfo's instant for it (never vtimezone's own answer).

    The wall-clock time of each change and of the second before it, of the middle of each period
    between changes and of noon twice a year, and every half hour for two hours around each
    change: every local time that names one instant (Hearth writes no other with a TZID).
    """
    zone = ZoneInfo(name)
    changes = [t.at for t in vtimezone.transitions(name, start, end) if t.at > start]
    instants = set()
    for index, at in enumerate(changes):
        following = changes[index + 1] if index + 1 < len(changes) else end
        instants |= {at - timedelta(seconds=1), at, at + (following - at) / 2}
    for year in range(start.year, end.year + 1):
        instants |= {datetime(year, 1, 1, 12, tzinfo=UTC), datetime(year, 7, 1, 12, tzinfo=UTC)}
    walls = {instant.astimezone(zone).replace(tzinfo=None) for instant in instants}
    for at in changes:
        wall = at.astimezone(zone).replace(tzinfo=None)
        walls |= {wall + step * HALF_HOUR for step in range(-4, 5)}
    return [
        [w.year, w.month, w.day, w.hour, w.minute, w.second, int(w.replace(tzinfo=zone).timestamp())]
        for w in sorted(walls)
        if start <= w.replace(tzinfo=UTC) <= end and _exists_once(w, zone)
    ]


def test_every_iana_zone_reads_in_ical_js_as_zoneinfo_says_over_a_calendars_span():
    # Given the VTIMEZONE of every IANA zone over the span a calendar made now covers
    start, end = calendar.span([], NOW)
    zones = iana_zones()
    ics = icalendar.Calendar()
    ics.add("prodid", "-//Hearth//tests//EN")
    ics.add("version", "2.0")
    for name in zones:
        ics.add_component(vtimezone.vtimezone(name, start, end))
    checks = {name: _checks(name, start, end) for name in zones}

    # When ical.js, which knows no zones but the file's, reads local times with them
    result = icaljs.run({"mode": "zones", "ics": ics.to_ical().decode(), "checks": checks})

    # Then it finds zoneinfo's instant for every one: at each change and a second before it,
    # between changes, twice a year, and every half hour around each change
    assert result["wrong"] == []
    assert len(zones) > 590
    assert result["checked"] == sum(len(c) for c in checks.values()) > 50_000
