"""iCalendar feeds: RFC 5545 structure, time zones, exceptions, and agreement with `expand()`."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import icalendar
import pytest
import recurring_ical_events

from chalicelib.domain import recurrence
from chalicelib.domain.calendar import CalendarException, CalendarSeries, render_calendar
from tests.clients import icaljs

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
SUMMARY = "your session"
LINK = "https://hearth.example/v1/sessions/join?t=" + "x" * 90


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def render(series: list[CalendarSeries], *, include_links: bool = True, name: str = "Hearth") -> bytes:
    return render_calendar(series, summary=SUMMARY, calendar_name=name, include_links=include_links, now=NOW)


def events(payload: bytes) -> list[icalendar.Event]:
    return icalendar.Calendar.from_ical(payload).walk("VEVENT")


def master_and_moved(payload: bytes) -> tuple[icalendar.Event, icalendar.Event | None]:
    """The master event and the override of the one moved session (other overrides left out)."""
    found = events(payload)
    master = next(event for event in found if "RECURRENCE-ID" not in event)
    moved = [event for event in found if "RECURRENCE-ID" in event and event["SEQUENCE"] > master["SEQUENCE"]]
    return master, (moved[0] if moved else None)


NEW_YORK_WEEKLY = CalendarSeries(
    series_id="ser_aaaaaaaaaaaaaaaa",
    start_local=datetime(2027, 2, 28, 2, 30),
    timezone="America/New_York",
    duration_minutes=90,
    rrule="FREQ=WEEKLY;BYDAY=SU",
    sequence=4,
    exceptions=(
        # the session on the spring-forward Sunday (02:30 EST, i.e. 03:30 EDT) is cancelled
        CalendarException(original_start=utc(2027, 3, 14, 7, 30), status="cancelled"),
        # the next one is moved to Monday evening, for an hour
        CalendarException(
            original_start=utc(2027, 3, 21, 6, 30),
            status="moved",
            start=utc(2027, 3, 22, 23, 0),
            duration_minutes=60,
            sequence=2,
        ),
    ),
    url=LINK,
)
BERLIN_LAST_FRIDAY = CalendarSeries(
    series_id="ser_bbbbbbbbbbbbbbbb",
    start_local=datetime(2027, 1, 1, 19, 0),
    timezone="Europe/Berlin",
    duration_minutes=60,
    rrule="FREQ=MONTHLY;BYDAY=-1FR;COUNT=12",
    exceptions=(CalendarException(original_start=utc(2027, 3, 26, 18, 0), status="cancelled"),),
    url=LINK,
)
LORD_HOWE_BIWEEKLY = CalendarSeries(
    series_id="ser_cccccccccccccccc",
    start_local=datetime(2027, 3, 2, 19, 0),  # a Tuesday; the rule meets on Thursdays
    timezone="Australia/Lord_Howe",
    duration_minutes=120,
    rrule="FREQ=WEEKLY;INTERVAL=2;BYDAY=TH;UNTIL=20271231",
    sequence=1,
    exceptions=(
        CalendarException(
            original_start=recurrence.local_to_utc(datetime(2027, 4, 15, 19, 0), "Australia/Lord_Howe"),
            status="moved",
            start=recurrence.local_to_utc(datetime(2027, 4, 16, 10, 0), "Australia/Lord_Howe"),
        ),
    ),
)
ALL_SERIES = [NEW_YORK_WEEKLY, BERLIN_LAST_FRIDAY, LORD_HOWE_BIWEEKLY]
# Daily sessions at times that fall into a gap or an overlap on change-over days, with no exceptions.
EDGE_OF_DST_SERIES = [
    CalendarSeries(
        "ser_eeeeeeeeeeeeeeee", datetime(2027, 3, 10, 2, 30), "America/New_York", 30, "FREQ=DAILY;COUNT=10"
    ),
    CalendarSeries(
        "ser_ffffffffffffffff", datetime(2027, 11, 5, 1, 30), "America/New_York", 45, "FREQ=DAILY;COUNT=5"
    ),
    CalendarSeries(
        "ser_gggggggggggggggg",
        datetime(2027, 9, 30, 2, 15),
        "Australia/Lord_Howe",
        15,
        "FREQ=DAILY;UNTIL=20271006",
    ),
    CalendarSeries(
        "ser_hhhhhhhhhhhhhhhh",
        datetime(2027, 4, 1, 1, 45),
        "Australia/Lord_Howe",
        15,
        "FREQ=DAILY;UNTIL=20270406",
    ),
]


# Sessions that start in a fall-back overlap, last across a change of offset, or meet through
# Morocco's Ramadan weeks (the offset drops from +01 to +00 for about a month).
CHANGE_OVER_SERIES = [
    # 01:30 on New York's fall-back night is ambiguous: the API means the first (EDT) instant
    CalendarSeries(
        "ser_iiiiiiiiiiiiiiii", datetime(2027, 11, 1, 1, 30), "America/New_York", 60, "FREQ=WEEKLY;BYDAY=SU"
    ),
    # 30 minutes from 01:45 across both changes: 30 real minutes, whatever the wall clock says
    CalendarSeries(
        "ser_jjjjjjjjjjjjjjjj",
        datetime(2027, 3, 1, 1, 45),
        "America/New_York",
        30,
        "FREQ=DAILY;UNTIL=20271201",
    ),
    CalendarSeries(
        "ser_kkkkkkkkkkkkkkkk",
        datetime(2027, 1, 5, 19, 0),
        "Africa/Casablanca",
        90,
        "FREQ=WEEKLY;BYDAY=TU,SA",
        exceptions=(
            # moved to the first of the two 01:30s of New York's fall-back night (ambiguous there)
            CalendarException(
                original_start=recurrence.local_to_utc(datetime(2027, 2, 16, 19, 0), "Africa/Casablanca"),
                status="moved",
                start=utc(2027, 2, 17, 1, 30),
            ),
        ),
    ),
    # its last session is the first 01:30 of the fall-back night
    CalendarSeries(
        "ser_mmmmmmmmmmmmmmmm",
        datetime(2027, 11, 3, 1, 30),
        "America/New_York",
        30,
        "FREQ=DAILY;UNTIL=20271107",
    ),
    # moved to the first 01:30 of New York's fall-back night (05:30Z), which a TZID cannot name
    # for every client
    CalendarSeries(
        "ser_llllllllllllllll",
        datetime(2027, 10, 3, 12, 0),
        "America/New_York",
        45,
        "FREQ=WEEKLY;COUNT=8",
        exceptions=(
            CalendarException(
                original_start=utc(2027, 11, 7, 17, 0), status="moved", start=utc(2027, 11, 7, 5, 30)
            ),
            CalendarException(original_start=utc(2027, 11, 14, 17, 0), status="cancelled"),
        ),
    ),
]


def _api_instants(
    series_list: list[CalendarSeries], window: tuple[datetime, datetime]
) -> dict[tuple[str, datetime], datetime]:
    return {key: key[1] + length for key, length in _api_sessions(series_list, window).items()}


def test_ical_js_shows_every_session_at_the_api_instants():
    # Given series in five zones with cancellations and moves, sessions in gaps and overlaps, across
    # changes of offset, and through Ramadan in Casablanca
    every = ALL_SERIES + EDGE_OF_DST_SERIES + CHANGE_OVER_SERIES
    window = (utc(2027, 1, 1), utc(2028, 1, 1))

    # When Mozilla ical.js expands the calendar with the file's VTIMEZONEs
    found = icaljs.expand(render(every), *window)

    # Then it shows exactly the API's sessions: same starts, same ends
    assert found == _api_instants(every, window)
    assert len(found) > 400


def test_ical_js_reads_fall_back_and_ramadan_sessions_as_the_api_does():
    window = (utc(2027, 1, 1), utc(2028, 1, 1))
    found = icaljs.expand(render(CHANGE_OVER_SERIES), *window)

    # the first 01:30 of the fall-back night, not the second
    assert found[("ser_iiiiiiiiiiiiiiii@hearth", utc(2027, 11, 7, 5, 30))] == utc(2027, 11, 7, 6, 30)
    # 01:45 EDT + 30 minutes is 01:15 EST; 01:45 EST + 30 minutes on the spring day is 03:15 EDT
    assert found[("ser_jjjjjjjjjjjjjjjj@hearth", utc(2027, 11, 7, 5, 45))] == utc(2027, 11, 7, 6, 15)
    assert found[("ser_jjjjjjjjjjjjjjjj@hearth", utc(2027, 3, 14, 6, 45))] == utc(2027, 3, 14, 7, 15)
    # 19:00 in Casablanca is 18:00Z before and after Ramadan, 19:00Z during it
    assert ("ser_kkkkkkkkkkkkkkkk@hearth", utc(2027, 2, 9, 19, 0)) in found
    assert ("ser_kkkkkkkkkkkkkkkk@hearth", utc(2027, 3, 20, 18, 0)) in found
    assert ("ser_kkkkkkkkkkkkkkkk@hearth", utc(2027, 2, 17, 1, 30)) in found
    assert ("ser_llllllllllllllll@hearth", utc(2027, 11, 7, 5, 30)) in found
    assert max(start for uid, start in found if uid == "ser_mmmmmmmmmmmmmmmm@hearth") == utc(
        2027, 11, 7, 5, 30
    )


def test_vtimezone_onsets_are_read_in_the_offset_before_them():
    payload = render([NEW_YORK_WEEKLY]).decode()
    zone = payload[payload.index("BEGIN:VTIMEZONE") : payload.index("END:VTIMEZONE")]
    daylight = zone[zone.index("BEGIN:DAYLIGHT") : zone.index("END:DAYLIGHT")]

    # the spring change is 02:00 EST (07:00Z), written as a yearly rule Outlook understands
    assert "TZOFFSETFROM:-0500" in daylight
    assert "TZOFFSETTO:-0400" in daylight
    assert re.search(r"DTSTART:\d{8}T020000", daylight)
    assert "RRULE:FREQ=YEARLY;BYDAY=2SU;BYMONTH=3" in daylight
    assert "COMMENT" not in zone
    assert "RDATE" not in zone


def test_irregular_zone_changes_are_listed_one_rdate_each():
    payload = render([CHANGE_OVER_SERIES[2]]).decode()
    zone = payload[payload.index("BEGIN:VTIMEZONE") : payload.index("END:VTIMEZONE")]

    # Ramadan moves every year: no rule fits, so each change is its own RDATE line
    assert "RRULE" not in zone
    assert zone.count("RDATE:") > 20
    assert all("," not in line for line in zone.split("\r\n") if line.startswith("RDATE"))


def test_calendar_name_is_escaped_text_and_kept_as_given():
    payload = render([], name="Évora, Faro; ma\\tin")

    assert "X-WR-CALNAME:Évora\\, Faro\\; ma\\\\tin\r\n" in payload.decode()
    assert payload.count(b"X-WR-CALNAME") == 1


def test_calendar_is_a_published_rfc5545_calendar():
    # When a calendar is rendered
    parsed = icalendar.Calendar.from_ical(render(ALL_SERIES, name="My sessions"))

    # Then it carries the publishing headers
    assert parsed["VERSION"] == "2.0"
    assert parsed["PRODID"] == "-//Hearth//Hearth 1//EN"
    assert parsed["CALSCALE"] == "GREGORIAN"
    assert parsed["METHOD"] == "PUBLISH"
    assert parsed["X-WR-CALNAME"] == "My sessions"


def test_each_series_is_one_master_event_with_its_rule_in_its_zone():
    # When a New York weekly series is rendered
    master, _override = master_and_moved(render([NEW_YORK_WEEKLY]))

    # Then its master event carries the series' identity, rule and zone, and a neutral summary only
    assert master["UID"] == "ser_aaaaaaaaaaaaaaaa@hearth"
    assert master["SUMMARY"] == SUMMARY
    assert master["SEQUENCE"] == 4
    assert master["DTSTAMP"].dt == NOW
    assert master["DTSTART"].params["TZID"] == "America/New_York"
    assert master["DTSTART"].dt.replace(tzinfo=None) == datetime(2027, 2, 28, 2, 30)
    assert master["DURATION"].dt == timedelta(minutes=90)
    assert master["RRULE"].to_ical() == b"FREQ=WEEKLY;BYDAY=SU"


def test_cancelled_occurrence_is_an_exdate_at_its_original_local_time():
    master, _override = master_and_moved(render([NEW_YORK_WEEKLY]))

    exdate = master["EXDATE"]
    assert exdate.params["TZID"] == "America/New_York"
    # the rule's own time on the spring-forward day, 02:30, not the wall clock's 03:30
    assert [value.dt.replace(tzinfo=None) for value in exdate.dts] == [datetime(2027, 3, 14, 2, 30)]


def test_moved_occurrence_is_an_override_with_recurrence_id():
    master, override = master_and_moved(render([NEW_YORK_WEEKLY]))

    assert override["UID"] == master["UID"]
    assert override["SUMMARY"] == SUMMARY
    assert override["RECURRENCE-ID"].params["TZID"] == "America/New_York"
    assert override["RECURRENCE-ID"].dt.replace(tzinfo=None) == datetime(2027, 3, 21, 2, 30)
    assert override["DTSTART"].params["TZID"] == "America/New_York"
    assert override["DTSTART"].dt.astimezone(UTC) == utc(2027, 3, 22, 23, 0)
    assert override["DTEND"].dt.astimezone(UTC) == utc(2027, 3, 23, 0, 0)
    assert override["SEQUENCE"] == 4 + 2  # above its master's


def test_series_starting_off_its_rule_is_anchored_on_its_first_session():
    master, _override = master_and_moved(render([LORD_HOWE_BIWEEKLY]))

    assert master["DTSTART"].dt.replace(tzinfo=None) == datetime(2027, 3, 4, 19, 0)  # the first Thursday


def test_date_until_is_written_as_the_last_sessions_utc_time():
    master, _override = master_and_moved(render([LORD_HOWE_BIWEEKLY]))

    until = master["RRULE"]["UNTIL"][0]
    last = recurrence.expand(
        LORD_HOWE_BIWEEKLY.start_local,
        LORD_HOWE_BIWEEKLY.timezone,
        LORD_HOWE_BIWEEKLY.rrule,
        utc(2027, 1, 1),
        utc(2029, 1, 1),
    )[-1]
    assert until == last.start
    assert last.start_local.date() <= date(2027, 12, 31)


def test_every_tzid_used_has_a_vtimezone():
    payload = render(ALL_SERIES)
    parsed = icalendar.Calendar.from_ical(payload)

    used = set(re.findall(rb";TZID=([^:;]+)", payload))
    defined = {timezone["TZID"].encode() for timezone in parsed.walk("VTIMEZONE")}
    assert used == defined == {b"America/New_York", b"Europe/Berlin", b"Australia/Lord_Howe"}
    assert parsed.get_missing_tzids() == set()
    assert payload.index(b"BEGIN:VTIMEZONE") < payload.index(b"BEGIN:VEVENT")


def test_lines_end_in_crlf_and_are_folded_at_75_octets():
    # Given values long enough to fold, with multi-byte characters
    name = "Séances du mardi — ✨ " * 8
    payload = render(ALL_SERIES, name=name)

    assert payload.endswith(b"\r\n")
    assert payload.count(b"\n") == payload.count(b"\r\n")
    lines = payload.split(b"\r\n")
    assert max(len(line) for line in lines) <= 75
    assert any(line.startswith(b" ") for line in lines)  # something was folded
    for line in lines:
        line.decode("utf-8")  # folding never splits a character
    assert icalendar.Calendar.from_ical(payload)["X-WR-CALNAME"] == name


def test_public_feed_carries_no_link():
    payload = render(ALL_SERIES, include_links=False)

    assert LINK.encode() not in payload.replace(b"\r\n ", b"")
    assert all("URL" not in event and "DESCRIPTION" not in event for event in events(payload))


def test_member_feed_carries_the_link_on_every_event_of_a_series_with_one():
    payload = render([NEW_YORK_WEEKLY], include_links=True)

    found = events(payload)
    assert len(found) > 2  # the master, the moved session, and the spring-forward Sundays
    assert {str(event["URL"]) for event in found} == {LINK}


def test_only_the_neutral_summary_names_an_event():
    payload = render(ALL_SERIES)

    assert {str(event["SUMMARY"]) for event in events(payload)} == {SUMMARY}
    assert all("LOCATION" not in event and "CATEGORIES" not in event for event in events(payload))


def test_empty_calendar_still_has_its_headers():
    parsed = icalendar.Calendar.from_ical(render([]))

    assert parsed["METHOD"] == "PUBLISH"
    assert parsed.walk("VEVENT") == []


def test_second_of_two_ambiguous_instants_is_written_in_utc():
    # Given a session moved to the second 01:30 of New York's fall-back night (06:30Z), which no
    # local time with TZID can name
    series = CalendarSeries(
        series_id="ser_dddddddddddddddd",
        start_local=datetime(2026, 10, 25, 19, 0),
        timezone="America/New_York",
        duration_minutes=60,
        rrule="FREQ=WEEKLY",
        exceptions=(
            CalendarException(
                original_start=utc(2026, 11, 1, 0, 0), status="moved", start=utc(2026, 11, 1, 6, 30)
            ),
        ),
    )

    _master, override = master_and_moved(render([series]))

    assert override["DTSTART"].dt == utc(2026, 11, 1, 6, 30)
    assert override["DTEND"].dt.astimezone(UTC) == utc(2026, 11, 1, 7, 30)


@pytest.mark.parametrize(
    ("kwargs", "problem"),
    [
        ({"original_start": utc(2027, 1, 1), "status": "skipped"}, "cancelled or moved"),
        ({"original_start": utc(2027, 1, 1), "status": "moved"}, "new start"),
        ({"original_start": datetime(2027, 1, 1), "status": "cancelled"}, "aware"),
        ({"original_start": utc(2027, 1, 1), "status": "moved", "start": datetime(2027, 1, 2)}, "aware"),
    ],
)
def test_exceptions_must_be_cancelled_or_moved_somewhere(kwargs, problem):
    with pytest.raises(ValueError, match=problem):
        CalendarException(**kwargs)


def _ical_sessions(
    payload: bytes, window: tuple[datetime, datetime]
) -> dict[tuple[str, datetime], timedelta]:
    found = {}
    for occurrence in recurring_ical_events.of(icalendar.Calendar.from_ical(payload)).between(*window):
        start = occurrence["DTSTART"].dt.astimezone(UTC)
        if window[0] <= start < window[1]:
            found[(str(occurrence["UID"]), start)] = occurrence["DTEND"].dt.astimezone(UTC) - start
    return found


def _api_sessions(
    series_list: list[CalendarSeries], window: tuple[datetime, datetime]
) -> dict[tuple[str, datetime], timedelta]:
    expected = {}
    for series in series_list:
        changed = {exception.original_start: exception for exception in series.exceptions}
        for occurrence in recurrence.expand(series.start_local, series.timezone, series.rrule, *window):
            exception = changed.get(occurrence.original_start)
            if exception is None:
                expected[(f"{series.series_id}@hearth", occurrence.start)] = timedelta(
                    minutes=series.duration_minutes
                )
            elif exception.status == "moved":
                minutes = exception.duration_minutes or series.duration_minutes
                expected[(f"{series.series_id}@hearth", exception.start)] = timedelta(minutes=minutes)
    return expected


def test_an_independent_ical_expansion_finds_exactly_the_api_sessions():
    # Given series in three zones, with cancellations and moves, over a window spanning both DST
    # changes in each hemisphere
    window = (utc(2027, 1, 1), utc(2028, 1, 1))

    # When another library expands the .ics
    found = _ical_sessions(render(ALL_SERIES), window)

    # Then it sees what expand() lists, less the cancelled sessions, with the moved ones moved and
    # lasting as long
    assert found == _api_sessions(ALL_SERIES, window)
    assert len(found) > 40


def test_an_independent_ical_expansion_agrees_on_gap_and_overlap_instants():
    # Given daily sessions at local times that fall into a gap or an overlap on change-over days
    window = (utc(2027, 1, 1), utc(2028, 1, 1))

    # When another library expands the .ics
    found = _ical_sessions(render(EDGE_OF_DST_SERIES), window)

    # Then every session starts at the same instant as in the API. (recurring_ical_events adds
    # DURATION on the wall clock, so its end times differ on those days; RFC 5545 and Hearth treat
    # a duration in minutes as exact.)
    assert set(found) == set(_api_sessions(EDGE_OF_DST_SERIES, window))
    assert (f"{EDGE_OF_DST_SERIES[0].series_id}@hearth", utc(2027, 3, 14, 7, 30)) in found
    assert (f"{EDGE_OF_DST_SERIES[1].series_id}@hearth", utc(2027, 11, 7, 5, 30)) in found
