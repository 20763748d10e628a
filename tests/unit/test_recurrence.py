"""Recurrence: the accepted RRULE subset, wall-clock expansion across DST, limits, ids and splits."""

from __future__ import annotations

import calendar as stdlib_calendar
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from dateutil.rrule import rrulestr

from chalicelib.domain import recurrence
from chalicelib.domain.recurrence import RecurrenceError, Rule

NEW_YORK = "America/New_York"
SERIES_ID = "ser_abcdefgh23456789"


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def starts(occurrences: list[recurrence.Occurrence]) -> list[datetime]:
    return [occurrence.start for occurrence in occurrences]


def reference_starts(start_local: datetime, tz: str, text: str, window_start: datetime, window_end: datetime):
    """An independent expansion: dateutil from DTSTART, every occurrence, converted with zoneinfo."""
    rule = rrulestr(f"DTSTART:{start_local:%Y%m%dT%H%M%S}\nRRULE:{text}")
    zone = ZoneInfo(tz)
    found = []
    for local in rule:
        instant = local.replace(tzinfo=zone).astimezone(UTC)
        if instant >= window_end + timedelta(days=2):
            break
        if window_start <= instant < window_end:
            found.append(instant)
    return found


# --- wall clock across DST ----------------------------------------------------------------------

DST_SHIFTS = (
    timedelta(0),
    timedelta(hours=1),
    timedelta(hours=-1),
    timedelta(minutes=30),
    timedelta(minutes=-30),
)

DST_CASES = [
    pytest.param(
        NEW_YORK,
        datetime(2027, 3, 7, 19, 0),
        {
            date(2027, 3, 7): utc(2027, 3, 8, 0, 0),  # EST, UTC-5
            date(2027, 3, 14): utc(2027, 3, 14, 23, 0),  # spring forward that morning: EDT, UTC-4
            date(2027, 10, 31): utc(2027, 10, 31, 23, 0),
            date(2027, 11, 7): utc(2027, 11, 8, 0, 0),  # fall back that morning: EST again
        },
        id="new-york",
    ),
    pytest.param(
        "Europe/Berlin",
        datetime(2027, 3, 21, 19, 0),
        {
            date(2027, 3, 21): utc(2027, 3, 21, 18, 0),  # CET, UTC+1
            date(2027, 3, 28): utc(2027, 3, 28, 17, 0),  # CEST, UTC+2
            date(2027, 10, 24): utc(2027, 10, 24, 17, 0),
            date(2027, 10, 31): utc(2027, 10, 31, 18, 0),
        },
        id="berlin",
    ),
    pytest.param(
        "Australia/Lord_Howe",
        datetime(2027, 3, 28, 19, 0),
        {
            # Southern hemisphere: summer time ends in April and starts in October; the shift is 30 minutes.
            date(2027, 3, 28): utc(2027, 3, 28, 8, 0),  # LHDT, UTC+11
            date(2027, 4, 4): utc(2027, 4, 4, 8, 30),  # LHST, UTC+10:30
            date(2027, 9, 26): utc(2027, 9, 26, 8, 30),
            date(2027, 10, 3): utc(2027, 10, 3, 8, 0),
        },
        id="lord-howe",
    ),
]


@pytest.mark.parametrize(("tz", "start_local", "expected"), DST_CASES)
def test_weekly_session_keeps_its_wall_clock_while_its_instant_moves_with_dst(tz, start_local, expected):
    # Given a weekly Sunday 19:00 series in the zone
    # When it is expanded over the year's two DST changes
    occurrences = recurrence.expand(start_local, tz, "FREQ=WEEKLY;BYDAY=SU", utc(2027, 1, 1), utc(2028, 1, 1))

    # Then every session starts at 19:00 local, and its UTC instant shifts with the offset
    assert {occurrence.start_local.time() for occurrence in occurrences} == {start_local.time()}
    by_date = {occurrence.start_local.date(): occurrence for occurrence in occurrences}
    for day, instant in expected.items():
        assert by_date[day].start == by_date[day].original_start == instant
    gaps = {later.start - earlier.start for earlier, later in pairwise(occurrences)}
    assert gaps <= {timedelta(days=7) + shift for shift in DST_SHIFTS}


def test_spring_forward_gap_is_read_with_the_offset_before_the_gap():
    # Given 02:30 on the day New York skips from 02:00 to 03:00
    gap = datetime(2027, 3, 14, 2, 30)

    # Then it is 02:30 EST, i.e. 03:30 EDT (RFC 5545 §3.3.5)
    assert recurrence.local_to_utc(gap, NEW_YORK) == utc(2027, 3, 14, 7, 30)
    occurrences = recurrence.expand(
        datetime(2027, 3, 7, 2, 30), NEW_YORK, "FREQ=WEEKLY;BYDAY=SU", utc(2027, 3, 14), utc(2027, 3, 15)
    )
    assert [(o.start, o.start_local) for o in occurrences] == [
        (utc(2027, 3, 14, 7, 30), datetime(2027, 3, 14, 3, 30))
    ]
    # and the rule's own (nominal) time, which RECURRENCE-ID uses, is still 02:30
    assert recurrence.nominal_local(occurrences[0].original_start, NEW_YORK, gap) == gap


def test_fall_back_ambiguity_takes_the_first_instant():
    # Given 01:30 on the night New York repeats 01:00–02:00
    ambiguous = datetime(2026, 11, 1, 1, 30)

    # Then it is the first 01:30 (EDT), and a daily series has one session that night, not two
    assert recurrence.local_to_utc(ambiguous, NEW_YORK) == utc(2026, 11, 1, 5, 30)
    occurrences = recurrence.expand(
        datetime(2026, 10, 30, 1, 30), NEW_YORK, "FREQ=DAILY", utc(2026, 10, 31), utc(2026, 11, 3)
    )
    assert starts(occurrences) == [utc(2026, 10, 31, 5, 30), utc(2026, 11, 1, 5, 30), utc(2026, 11, 2, 6, 30)]


def test_half_hour_gap_and_overlap_in_lord_howe():
    # Lord Howe moves 02:00 → 02:30 in October and 02:00 → 01:30 in April
    assert recurrence.local_to_utc(datetime(2026, 10, 4, 2, 15), "Australia/Lord_Howe") == utc(
        2026, 10, 3, 15, 45
    )
    assert recurrence.utc_to_local(utc(2026, 10, 3, 15, 45), "Australia/Lord_Howe") == datetime(
        2026, 10, 4, 2, 45
    )
    assert recurrence.local_to_utc(datetime(2027, 4, 4, 1, 45), "Australia/Lord_Howe") == utc(
        2027, 4, 3, 14, 45
    )


def test_local_and_utc_conversions_insist_on_the_right_kind_of_datetime():
    with pytest.raises(ValueError, match="naive"):
        recurrence.local_to_utc(utc(2027, 1, 1), NEW_YORK)
    with pytest.raises(ValueError, match="aware"):
        recurrence.utc_to_local(datetime(2027, 1, 1), NEW_YORK)


# --- rule shapes ------------------------------------------------------------------------------------


def _last_fridays(year: int) -> list[date]:
    result = []
    for month in range(1, 13):
        last = date(year, month, stdlib_calendar.monthrange(year, month)[1])
        result.append(last - timedelta(days=(last.weekday() - 4) % 7))
    return result


def _last_weekdays(year: int) -> list[date]:
    result = []
    for month in range(1, 13):
        day = date(year, month, stdlib_calendar.monthrange(year, month)[1])
        while day.weekday() > 4:
            day -= timedelta(days=1)
        result.append(day)
    return result


def test_last_friday_of_the_month():
    occurrences = recurrence.expand(
        datetime(2027, 1, 1, 18, 0), NEW_YORK, "FREQ=MONTHLY;BYDAY=-1FR", utc(2027, 1, 1), utc(2028, 1, 1)
    )

    assert [o.start_local.date() for o in occurrences] == _last_fridays(2027)
    assert {o.start_local.time().hour for o in occurrences} == {18}


def test_last_weekday_of_the_month_with_bysetpos():
    occurrences = recurrence.expand(
        datetime(2027, 1, 1, 12, 0),
        "Europe/London",
        "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1",
        utc(2027, 1, 1),
        utc(2028, 1, 1),
    )

    assert [o.start_local.date() for o in occurrences] == _last_weekdays(2027)
    assert date(2027, 5, 31) in [o.start_local.date() for o in occurrences]  # a Monday, not the Friday before


def test_first_sunday_of_the_month():
    occurrences = recurrence.expand(
        datetime(2027, 1, 1, 10, 0), NEW_YORK, "FREQ=MONTHLY;BYDAY=1SU", utc(2027, 1, 1), utc(2027, 4, 1)
    )

    assert [o.start_local.date() for o in occurrences] == [
        date(2027, 1, 3),
        date(2027, 2, 7),
        date(2027, 3, 7),
    ]


def test_every_other_monday():
    occurrences = recurrence.expand(
        datetime(2027, 1, 4, 19, 0),
        NEW_YORK,
        "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO",
        utc(2027, 1, 1),
        utc(2027, 3, 1),
    )

    assert [o.start_local.date() for o in occurrences] == [
        date(2027, 1, 4),
        date(2027, 1, 18),
        date(2027, 2, 1),
        date(2027, 2, 15),
    ]


def test_biweekly_keeps_its_weeks_in_a_window_years_after_the_start():
    # Given a biweekly series started long before the window (expansion re-anchors near the window)
    occurrences = recurrence.expand(
        datetime(2026, 1, 5, 19, 0),
        NEW_YORK,
        "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO",
        utc(2029, 6, 1),
        utc(2029, 9, 1),
    )

    # Then every session is still an even number of weeks after the first
    assert occurrences
    assert all((o.start_local.date() - date(2026, 1, 5)).days % 14 == 0 for o in occurrences)


def test_series_starting_off_rule_begins_at_the_first_match():
    # Given a Tuesday start with a Thursday rule
    start = datetime(2027, 1, 5, 19, 0)

    # Then the first session is that Thursday, not the start itself
    first = recurrence.first_occurrence(start, NEW_YORK, "FREQ=WEEKLY;BYDAY=TH")
    assert first is not None
    assert first.start_local == datetime(2027, 1, 7, 19, 0)
    assert recurrence.next_occurrence(
        start, NEW_YORK, "FREQ=WEEKLY;BYDAY=TH", utc(2027, 1, 8, 0, 1)
    ).start_local == (datetime(2027, 1, 14, 19, 0))


REFERENCE_RULES = [
    "FREQ=WEEKLY;BYDAY=TU",
    "FREQ=WEEKLY;INTERVAL=2",
    "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO",
    "FREQ=WEEKLY;INTERVAL=3;BYDAY=SU,WE;WKST=SU",
    "FREQ=WEEKLY;BYDAY=MO,WE,FR;BYSETPOS=-1",
    "FREQ=MONTHLY",
    "FREQ=MONTHLY;BYDAY=-1FR",
    "FREQ=MONTHLY;INTERVAL=2;BYDAY=1SU",
    "FREQ=MONTHLY;INTERVAL=5;BYMONTHDAY=31",
    "FREQ=MONTHLY;BYMONTHDAY=-1",
    "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1",
    "FREQ=DAILY",
    "FREQ=DAILY;INTERVAL=3",
    "FREQ=DAILY;BYDAY=MO,WE,FR",
    "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO;COUNT=10",
    "FREQ=MONTHLY;BYDAY=-1FR;COUNT=30",
]


@pytest.mark.parametrize("text", REFERENCE_RULES)
@pytest.mark.parametrize(
    ("window_start", "window_end"),
    [
        (utc(2026, 1, 1), utc(2026, 7, 1)),
        (utc(2027, 2, 10), utc(2027, 8, 10)),
        (utc(2029, 5, 10), utc(2030, 5, 10)),
    ],
    ids=["at-start", "next-year", "years-later"],
)
def test_expansion_matches_dateutil_walked_from_the_start(text, window_start, window_end):
    # Given a series that starts on the 31st (month-length edge cases) in New York
    start = datetime(2026, 1, 31, 19, 0)

    # When it is expanded over a window, near or far from the start
    occurrences = recurrence.expand(start, NEW_YORK, text, window_start, window_end)

    # Then it finds exactly what dateutil finds walking every occurrence from DTSTART
    assert starts(occurrences) == reference_starts(start, NEW_YORK, text, window_start, window_end)


# --- bounds ---------------------------------------------------------------------------------------


def test_count_is_counted_from_the_series_start_even_when_the_window_is_later():
    # Given ten weekly sessions from 2027-01-05
    start = datetime(2027, 1, 5, 19, 0)

    # When the window starts after the sixth
    occurrences = recurrence.expand(
        start, NEW_YORK, "FREQ=WEEKLY;COUNT=10", utc(2027, 2, 11), utc(2028, 1, 1)
    )

    # Then only the seventh to tenth are in it
    assert [o.start_local.date() for o in occurrences] == [
        date(2027, 2, 16),
        date(2027, 2, 23),
        date(2027, 3, 2),
        date(2027, 3, 9),
    ]


def test_until_equal_to_an_occurrence_includes_it():
    # Monday 19:00 EST is Tuesday 00:00Z
    start = datetime(2027, 1, 4, 19, 0)
    window = (utc(2027, 1, 1), utc(2027, 6, 1))

    included = recurrence.expand(start, NEW_YORK, "FREQ=WEEKLY;UNTIL=20270209T000000Z", *window)
    excluded = recurrence.expand(start, NEW_YORK, "FREQ=WEEKLY;UNTIL=20270208T235959Z", *window)

    assert included[-1].start == utc(2027, 2, 9, 0, 0)
    assert len(included) == 6
    assert excluded[-1].start == utc(2027, 2, 2, 0, 0)


def test_until_date_includes_that_local_day():
    # Given UNTIL as a date: the last session is that local day's, although it is the next day in UTC
    occurrences = recurrence.expand(
        datetime(2027, 1, 4, 19, 0), NEW_YORK, "FREQ=WEEKLY;UNTIL=20270208", utc(2027, 1, 1), utc(2027, 6, 1)
    )

    assert occurrences[-1].start_local == datetime(2027, 2, 8, 19, 0)
    assert occurrences[-1].start == utc(2027, 2, 9, 0, 0)


def test_window_is_half_open():
    start = datetime(2027, 1, 4, 19, 0)
    first, second = utc(2027, 1, 5, 0, 0), utc(2027, 1, 12, 0, 0)

    occurrences = recurrence.expand(start, NEW_YORK, "FREQ=WEEKLY", first, second)

    assert starts(occurrences) == [first]
    assert recurrence.expand(start, NEW_YORK, "FREQ=WEEKLY", second, second) == []


def test_a_366_day_window_lists_every_daily_session():
    occurrences = recurrence.expand(
        datetime(2027, 1, 1, 8, 0),
        "Europe/Berlin",
        "FREQ=DAILY",
        utc(2027, 6, 1),
        utc(2027, 6, 1) + timedelta(days=366),
    )

    assert len(occurrences) == 366
    assert len({o.start for o in occurrences}) == 366
    assert starts(occurrences) == sorted(starts(occurrences))


# --- parsing and validation -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("FREQ=WEEKLY;BYDAY=TU", "FREQ=WEEKLY;BYDAY=TU"),
        ("RRULE:FREQ=WEEKLY;BYDAY=TU", "FREQ=WEEKLY;BYDAY=TU"),
        ("freq=weekly;byday=th,tu;interval=1", "FREQ=WEEKLY;BYDAY=TU,TH"),
        ("FREQ=MONTHLY;BYDAY=-1FR", "FREQ=MONTHLY;BYDAY=-1FR"),
        ("FREQ=MONTHLY;BYDAY=+1MO", "FREQ=MONTHLY;BYDAY=1MO"),
        ("FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1", "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1"),
        ("FREQ=WEEKLY;INTERVAL=2;BYDAY=MO;COUNT=10", "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO;COUNT=10"),
        ("FREQ=DAILY;UNTIL=20270101T000000Z", "FREQ=DAILY;UNTIL=20270101T000000Z"),
        ("FREQ=DAILY;UNTIL=20270101", "FREQ=DAILY;UNTIL=20270101"),
        ("FREQ=MONTHLY;BYMONTHDAY=15,-1", "FREQ=MONTHLY;BYMONTHDAY=-1,15"),
        ("FREQ=WEEKLY;BYDAY=SU,WE;WKST=SU", "FREQ=WEEKLY;BYDAY=WE,SU;WKST=SU"),
        ("FREQ=WEEKLY;WKST=MO", "FREQ=WEEKLY"),
    ],
)
def test_rules_parse_to_canonical_text_that_parses_back_to_the_same_rule(text, canonical):
    rule = recurrence.parse_rrule(text)

    assert rule.text == str(rule) == canonical
    assert recurrence.parse_rrule(rule.text) == rule


def test_parsed_rule_exposes_its_parts():
    rule = recurrence.parse_rrule("FREQ=MONTHLY;INTERVAL=2;BYDAY=-1FR;UNTIL=20270101T000000Z")

    assert rule == Rule(freq="MONTHLY", interval=2, by_day=((-1, "FR"),), until=utc(2027, 1, 1))
    assert rule.is_bounded
    assert not recurrence.parse_rrule("FREQ=WEEKLY").is_bounded


@pytest.mark.parametrize(
    "text",
    [
        "",
        "RRULE:",
        "FREQ=YEARLY",
        "FREQ=HOURLY",
        "FREQ=MINUTELY",
        "BYDAY=MO",
        "FREQ=WEEKLY;BYMONTH=1",
        "FREQ=WEEKLY;BYHOUR=19",
        "FREQ=WEEKLY;X-FOO=1",
        "FREQ=WEEKLY;FREQ=WEEKLY",
        "FREQ=WEEKLY;BYDAY=MO;BYDAY=TU",
        "FREQ=WEEKLY;COUNT=5;UNTIL=20270101T000000Z",
        "FREQ=WEEKLY;COUNT=0",
        "FREQ=WEEKLY;COUNT=501",
        "FREQ=WEEKLY;COUNT=ten",
        "FREQ=WEEKLY;INTERVAL=0",
        "FREQ=WEEKLY;INTERVAL=13",
        "FREQ=WEEKLY;BYDAY=XX",
        "FREQ=WEEKLY;BYDAY=MO,MO",
        "FREQ=WEEKLY;BYDAY=-1FR",
        "FREQ=DAILY;BYDAY=1MO",
        "FREQ=MONTHLY;BYDAY=0MO",
        "FREQ=MONTHLY;BYDAY=6MO",
        "FREQ=MONTHLY;BYMONTHDAY=0",
        "FREQ=MONTHLY;BYMONTHDAY=32",
        "FREQ=WEEKLY;BYMONTHDAY=1",
        "FREQ=MONTHLY;BYSETPOS=-1",
        "FREQ=DAILY;BYDAY=MO;BYSETPOS=1",
        "FREQ=MONTHLY;BYDAY=MO;BYSETPOS=32",
        "FREQ=WEEKLY;UNTIL=20270101T000000",
        "FREQ=WEEKLY;UNTIL=20271301",
        "FREQ=WEEKLY;UNTIL=tomorrow",
        "FREQ=WEEKLY;WKST=XX",
        "FREQ=WEEKLY;",
        "FREQ=WEEKLY;;BYDAY=MO",
        "FREQ=WEEKLY;BYDAY",
        "DTSTART:20270101T190000\nRRULE:FREQ=WEEKLY",
        "FREQ=WEEKLY;DTSTART=20270101T190000",
        "FREQ=WEEKLY;BYDAY=" + ",".join(["MO"] * 80),
    ],
)
def test_rules_outside_the_subset_are_rejected(text):
    with pytest.raises(RecurrenceError) as caught:
        recurrence.parse_rrule(text)

    assert caught.value.field == "rrule"
    assert isinstance(caught.value, ValueError)
    assert caught.value.message


def test_dtstart_inside_the_rule_is_explained():
    with pytest.raises(RecurrenceError, match="DTSTART"):
        recurrence.parse_rrule("FREQ=WEEKLY;DTSTART=20270101T190000")


@pytest.mark.parametrize(
    "name", [NEW_YORK, "Europe/London", "Australia/Lord_Howe", "UTC", "EST5EDT", "Etc/GMT+5"]
)
def test_known_zones_are_accepted(name):
    assert recurrence.zone(name).key == name


@pytest.mark.parametrize(
    "name",
    ["", "../x", "/etc/passwd", "America", "america/new_york", "Mars/Olympus", "localtime", "Factory", None],
)
def test_unknown_zones_are_rejected(name):
    with pytest.raises(RecurrenceError) as caught:
        recurrence.zone(name)

    assert caught.value.field == "timezone"


def test_start_local_round_trips():
    value = recurrence.parse_start_local("2026-12-01T19:00")

    assert value == datetime(2026, 12, 1, 19, 0)
    assert recurrence.format_start_local(value) == "2026-12-01T19:00"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "2026-12-01",
        "2026-12-01 19:00",
        "2026-12-01T19:00:00",
        "2026-12-01T19:00Z",
        "2026-12-01T19:00-05:00",
        "2026-02-30T19:00",
        "2026-12-01T24:00",
        "1999-12-01T19:00",
        "２０２６-12-01T19:00",
        None,
    ],
)
def test_malformed_start_local_is_rejected(text):
    with pytest.raises(RecurrenceError) as caught:
        recurrence.parse_start_local(text)

    assert caught.value.field == "start_local"


START = datetime(2027, 1, 4, 19, 0)


@pytest.mark.parametrize(
    "text",
    [
        "FREQ=WEEKLY;BYDAY=MO",  # open-ended: allowed
        "FREQ=DAILY;INTERVAL=2",
        "FREQ=WEEKLY;COUNT=104",
        "FREQ=WEEKLY;UNTIL=20290104",  # exactly two years
        "FREQ=WEEKLY;UNTIL=20290105T000000Z",
        "FREQ=DAILY;COUNT=500",
        "FREQ=MONTHLY;BYDAY=-1FR;COUNT=24",
    ],
)
def test_schedulable_series_pass_validation(text):
    recurrence.validate_series(START, NEW_YORK, text, 90)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("FREQ=WEEKLY;UNTIL=20290105", "two years"),
        ("FREQ=WEEKLY;UNTIL=20290105T000100Z", "two years"),
        ("FREQ=MONTHLY;COUNT=30", "two years"),
        ("FREQ=WEEKLY;COUNT=106", "two years"),
        ("FREQ=DAILY;UNTIL=20280601", "500"),
        ("FREQ=WEEKLY;UNTIL=20270101", "before the first"),
        ("FREQ=MONTHLY;BYDAY=-1MO;BYMONTHDAY=1", "no session"),  # never matches
        ("FREQ=DAILY;INTERVAL=7;BYDAY=TU", "no session"),  # every seventh day is always a Monday
        ("FREQ=WEEKLY;BYDAY=MO;BYSETPOS=2", "no session"),  # a week has one Monday
    ],
)
def test_series_beyond_the_limits_are_rejected(text, problem):
    with pytest.raises(RecurrenceError, match=problem) as caught:
        recurrence.validate_series(START, NEW_YORK, text, 90)

    assert caught.value.field == "rrule"


def test_monthly_rule_that_skips_a_whole_year_is_rejected():
    # Given a yearly-in-February rule asking for the 30th
    with pytest.raises(RecurrenceError, match="no session"):
        recurrence.validate_series(
            datetime(2027, 2, 1, 19, 0), NEW_YORK, "FREQ=MONTHLY;INTERVAL=12;BYMONTHDAY=30", 60
        )


@pytest.mark.parametrize("minutes", [14, 241, 0, -60, True, 90.0, "90"])
def test_durations_outside_15_to_240_minutes_are_rejected(minutes):
    with pytest.raises(RecurrenceError) as caught:
        recurrence.validate_series(START, NEW_YORK, "FREQ=WEEKLY", minutes)

    assert caught.value.field == "duration_minutes"


@pytest.mark.parametrize("minutes", [15, 240])
def test_duration_bounds_are_inclusive(minutes):
    recurrence.validate_series(START, NEW_YORK, "FREQ=WEEKLY", minutes)


def test_validation_names_the_zone_and_the_start():
    with pytest.raises(RecurrenceError) as bad_zone:
        recurrence.validate_series(START, "Mars/Olympus", "FREQ=WEEKLY", 60)
    with pytest.raises(RecurrenceError) as aware_start:
        recurrence.validate_series(utc(2027, 1, 4, 19), NEW_YORK, "FREQ=WEEKLY", 60)
    with pytest.raises(RecurrenceError) as bad_rule:
        recurrence.validate_series(START, NEW_YORK, "FREQ=YEARLY", 60)

    assert (bad_zone.value.field, aware_start.value.field, bad_rule.value.field) == (
        "timezone",
        "start_local",
        "rrule",
    )


# --- session ids ------------------------------------------------------------------------------------


def test_session_id_round_trips():
    original = utc(2027, 3, 14, 7, 30)

    value = recurrence.session_id(SERIES_ID, original)

    assert value == "ser_abcdefgh23456789.20270314T0730Z"
    assert recurrence.parse_session_id(value) == (SERIES_ID, original)


def test_session_id_is_the_same_for_any_representation_of_the_instant():
    in_new_york = datetime(2027, 3, 14, 3, 30, tzinfo=ZoneInfo(NEW_YORK))

    assert recurrence.session_id(SERIES_ID, in_new_york) == "ser_abcdefgh23456789.20270314T0730Z"


@pytest.mark.parametrize(
    "value",
    [
        "",
        SERIES_ID,
        f"{SERIES_ID}.",
        f"{SERIES_ID}.20270314T0730",
        f"{SERIES_ID}.20271314T0730Z",
        f"{SERIES_ID}.20270314T2560Z",
        f"{SERIES_ID}.20270314T073000Z",
        f"{SERIES_ID.upper()}.20270314T0730Z",
        f"{SERIES_ID}.20270314T0730Z/extra",
        f"../{SERIES_ID}.20270314T0730Z",
        None,
    ],
)
def test_malformed_session_ids_are_rejected(value):
    with pytest.raises(ValueError, match="session id"):
        recurrence.parse_session_id(value)


def test_session_id_needs_a_whole_minute_instant_and_a_plain_series_id():
    with pytest.raises(ValueError, match="aware"):
        recurrence.session_id(SERIES_ID, datetime(2027, 3, 14, 7, 30))
    with pytest.raises(ValueError, match="whole minute"):
        recurrence.session_id(SERIES_ID, utc(2027, 3, 14, 7, 30, 15))
    with pytest.raises(ValueError, match="series id"):
        recurrence.session_id("ser.x", utc(2027, 3, 14, 7, 30))


# --- "this and following" -------------------------------------------------------------------------

WIDE = (utc(2026, 1, 1), utc(2031, 1, 1))


@pytest.mark.parametrize(
    "text",
    [
        "FREQ=WEEKLY;BYDAY=TU",
        "FREQ=WEEKLY;INTERVAL=3;BYDAY=SU,WE;WKST=SU",
        "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU;COUNT=10",
        "FREQ=MONTHLY;BYDAY=-1FR;UNTIL=20280101",
        "FREQ=DAILY;UNTIL=20270601T000000Z",
    ],
)
def test_split_keeps_exactly_the_original_sessions(text):
    # Given a series and one of its occurrences in mid-March (across the DST change)
    start = datetime(2027, 1, 5, 19, 0)
    original = recurrence.expand(start, NEW_YORK, text, *WIDE)
    at = next(o.original_start for o in original if o.original_start >= utc(2027, 3, 15))

    # When it is split there
    head = recurrence.truncate_before(text, start, NEW_YORK, at)
    tail_start, tail = recurrence.remainder_from(text, start, NEW_YORK, at)

    # Then the head keeps the sessions before it and the tail the rest, with nothing lost or added
    assert head is not None
    head_sessions = recurrence.expand(start, NEW_YORK, head, *WIDE)
    tail_sessions = recurrence.expand(tail_start, NEW_YORK, tail, *WIDE)
    assert starts(head_sessions) == [o.start for o in original if o.original_start < at]
    assert starts(tail_sessions) == [o.start for o in original if o.original_start >= at]
    assert tail_sessions[0].original_start == at
    recurrence.validate_series(start, NEW_YORK, head, 60)


def test_truncating_an_open_series_ends_it_on_its_last_kept_session():
    start = datetime(2027, 1, 5, 19, 0)

    head = recurrence.truncate_before("FREQ=WEEKLY;BYDAY=TU", start, NEW_YORK, utc(2027, 3, 16, 23, 0))

    assert head.until == utc(2027, 3, 10, 0, 0)  # Tuesday 9 March, 19:00 EST
    assert head.text == "FREQ=WEEKLY;BYDAY=TU;UNTIL=20270310T000000Z"


def test_truncating_a_counted_series_lowers_its_count():
    head = recurrence.truncate_before(
        "FREQ=WEEKLY;COUNT=10", datetime(2027, 1, 5, 19, 0), NEW_YORK, utc(2027, 1, 26)
    )

    assert head.count == 3


def test_truncating_before_the_first_session_leaves_nothing():
    start = datetime(2027, 1, 5, 19, 0)

    assert recurrence.truncate_before("FREQ=WEEKLY", start, NEW_YORK, utc(2027, 1, 6, 0, 0)) is None
    assert recurrence.remainder_from("FREQ=WEEKLY;COUNT=2", start, NEW_YORK, utc(2027, 1, 13, 0, 1)) is None


def test_date_until_becomes_the_last_sessions_utc_start():
    rule = recurrence.utc_until("FREQ=WEEKLY;UNTIL=20270208", datetime(2027, 1, 4, 19, 0), NEW_YORK)

    assert rule.until == utc(2027, 2, 9, 0, 0)
    assert recurrence.utc_until(rule, datetime(2027, 1, 4, 19, 0), NEW_YORK) == rule
