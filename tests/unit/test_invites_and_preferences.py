"""Invite codes and reminder preferences: pure rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.domain import invites, preferences


def test_codes_are_unambiguous_and_varied():
    codes = {invites.new_code() for _ in range(500)}

    assert len(codes) == 500
    assert all(len(code) == invites.LENGTH for code in codes)
    assert not set("".join(codes)) & set("01OIL")


@pytest.mark.parametrize(("typed", "code"), [("abcd2345", "ABCD2345"), (" ab-cd 23.45 ", "ABCD2345")])
def test_typed_codes_normalise(typed, code):
    assert invites.normalise_code(typed) == code


@pytest.mark.parametrize("typed", ["", "ABC", "ABCD23456", "ABCD0345", "ABCD 234!"])
def test_impossible_codes_are_none(typed):
    assert invites.normalise_code(typed) is None


def test_invite_usability():
    now = datetime(2026, 12, 1, tzinfo=UTC)
    base = invites.Invite("ABCD2345", "g", None, None, 0, revoked=False, standing=False)

    assert base.usable(now)
    assert not invites.Invite("C", "g", now, None, 0, False, False).usable(now)
    assert invites.Invite("C", "g", now + timedelta(seconds=1), None, 0, False, False).usable(now)
    assert not invites.Invite("C", "g", None, 3, 3, False, False).usable(now)
    assert not invites.Invite("C", "g", None, None, 0, True, False).usable(now)


def test_preferences_validate_sort_and_round_trip():
    prefs = preferences.validate(["email", "sms"], [60, 1440], {"start": "22:00", "end": "07:30"})

    assert prefs.lead_minutes == (1440, 60)
    assert preferences.ReminderPreferences.from_dict(prefs.to_dict()) == prefs
    assert preferences.ReminderPreferences.from_dict(None).lead_minutes == preferences.DEFAULT_LEADS


@pytest.mark.parametrize(
    ("quiet", "minute", "inside"),
    [
        (("22:00", "07:00"), 23 * 60, True),
        (("22:00", "07:00"), 6 * 60 + 59, True),
        (("22:00", "07:00"), 7 * 60, False),
        (("13:00", "15:00"), 14 * 60, True),
        (("13:00", "15:00"), 15 * 60, False),
    ],
)
def test_quiet_hours_may_wrap_midnight(quiet, minute, inside):
    assert preferences.QuietHours(*quiet).contains(minute) is inside


@pytest.mark.parametrize(
    ("channels", "leads", "quiet", "field"),
    [
        (["sms", "sms"], [60], None, "channels"),
        (["fax"], [60], None, "channels"),
        (["sms"], [], None, "lead_minutes"),
        (["sms"], [9], None, "lead_minutes"),
        (["sms"], [60, 60], None, "lead_minutes"),
        (["sms"], [60], {"start": "7:00", "end": "08:00"}, "quiet_hours"),
        (["sms"], [60], {"start": "08:00", "end": "08:00"}, "quiet_hours"),
    ],
)
def test_invalid_preferences_name_their_field(channels, leads, quiet, field):
    with pytest.raises(preferences.PreferenceError) as raised:
        preferences.validate(channels, leads, quiet)
    assert raised.value.field == field
