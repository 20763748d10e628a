"""Every reminder and notice text: discreet, GSM-7, within two SMS segments."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from chalicelib.domain import sms_text, templates

LONG_LABEL = "a very long neutral label for the session!"[:40]
LONG_LINK = "https://hearth-support-groups.example.org/g/grp_abcdefghijklmnop"
ZONES = [
    "America/New_York",
    "America/St_Johns",
    "Asia/Kolkata",
    "Australia/Lord_Howe",
    "Pacific/Chatham",
    "America/Argentina/Buenos_Aires",
]
START = datetime(2026, 12, 2, 0, 0, tzinfo=UTC)
MOVED_TO = datetime(2026, 12, 23, 13, 45, tzinfo=UTC)


@pytest.mark.parametrize("kind", templates.KINDS)
@pytest.mark.parametrize("tz", ZONES)
@pytest.mark.parametrize("lead", [10, 59, 60, 1440, 10080])
def test_every_sms_is_gsm7_and_at_most_two_segments_with_long_values(kind, tz, lead):
    text = templates.sms(
        kind, label=LONG_LABEL, start=START, tz=tz, link=LONG_LINK, lead=lead, new_start=MOVED_TO
    )

    assert sms_text.is_gsm7(text)
    assert sms_text.segments(text) <= 2
    assert text.startswith("Hearth: ")
    assert text.endswith("Reply STOP to opt out.")
    assert LONG_LINK in text


def test_labels_outside_gsm7_are_folded_not_sent_as_unicode():
    text = templates.sms(
        "reminder", label="Zoë’s “chat”", start=START, tz="UTC", link="https://h.example/g/x", lead=60
    )

    assert 'Zoe\'s "chat"' in text
    assert sms_text.is_gsm7(text)


def test_the_start_is_shown_in_the_members_zone_with_its_abbreviation():
    assert templates.when(START, "America/New_York") == "Tue Dec 1, 7:00 PM EST"
    assert templates.when(START, "Europe/London") == "Wed Dec 2, 12:00 AM GMT"
    assert (
        templates.when(datetime(2027, 7, 1, 16, 30, tzinfo=UTC), "America/Los_Angeles")
        == "Thu Jul 1, 9:30 AM PDT"
    )


@pytest.mark.parametrize(
    ("minutes", "phrase"),
    [(10, "in 10 minutes"), (60, "in 1 hour"), (120, "in 2 hours"), (1440, "tomorrow"), (4320, "in 3 days")],
)
def test_lead_phrases(minutes, phrase):
    assert templates.lead_phrase(minutes) == phrase


@pytest.mark.parametrize("kind", templates.KINDS)
def test_emails_have_a_neutral_subject_and_escaped_html(kind):
    mail = templates.email(
        kind,
        label="<b>x</b>",
        start=START,
        tz="UTC",
        link="https://h.example/g/x?a=1&b=2",
        unsubscribe="https://h.example/v1/unsubscribe/t",
        lead=60,
        new_start=MOVED_TO,
    )

    assert mail.subject in ("A reminder from Hearth", "An update from Hearth")
    assert "<b>" not in mail.html
    assert "&amp;b=2" in mail.html
    assert "https://h.example/v1/unsubscribe/t" in mail.text


def test_an_oversized_sms_is_refused_rather_than_sent():
    with pytest.raises(templates.TemplateError):
        templates.check_sms("x" * 307)
    with pytest.raises(templates.TemplateError):
        templates.check_sms("emoji 🙂")


@pytest.mark.parametrize(
    ("lead", "left", "phrase"),
    [
        (60, 60, "in 1 hour"),
        (60, 58, "in 1 hour"),  # a sweep a minute or two late still says the lead's words
        (60, 25, "in 25 minutes"),
        (60, 1, "in 1 minute"),
        (1440, 1438, "tomorrow"),
        (1440, 600, "in about 10 hours"),
        (1440, 89, "in 89 minutes"),
    ],
)
def test_a_late_reminder_says_the_real_time_left(lead, left, phrase):
    start = datetime(2026, 12, 2, 0, 0, tzinfo=UTC)

    text = templates.sms(
        "reminder",
        label="your session",
        start=start,
        tz="UTC",
        link="https://h.example/g/x",
        lead=lead,
        minutes_left=left,
    )
    mail = templates.email(
        "reminder",
        label="your session",
        start=start,
        tz="UTC",
        link="l",
        unsubscribe="u",
        lead=lead,
        minutes_left=left,
    )

    assert f"({phrase})." in text
    assert f"({phrase})." in mail.text


def test_the_longest_late_countdown_still_fits_two_segments():
    text = templates.sms(
        "reminder",
        label="x" * 60,
        start=datetime(2026, 12, 2, tzinfo=UTC),
        tz="America/Argentina/Buenos_Aires",
        link="https://hearth.example.org/g/grp_0123456789abcdef",
        lead=10080,
        minutes_left=5000,
    )

    assert "(in about 3 days)" in text


# --- what a reminder costs the carrier, known when it is planned ------------------------------

BURST = datetime(2026, 12, 2, 0, 0, tzinfo=UTC)
SHORT_LINK = "https://hearth.example.org/g/grp_abcdefghijklmnop"
STAGE_LINK = "https://abcdef1234.execute-api.us-east-1.amazonaws.com/api/g/grp_abcdefghijklmnop"


@pytest.mark.parametrize(
    ("label", "link", "parts"),
    [
        ("your session", SHORT_LINK, 1),  # a short label on a custom domain: one part
        ("Tuesday evening check-in", SHORT_LINK, 2),
        ("your session", STAGE_LINK, 2),  # the stage URL alone makes it two
    ],
)
def test_a_reminders_parts_are_those_of_its_longest_rendering(label, link, parts):
    bound = templates.reminder_parts(label=label, start=BURST, link=link, lead=60, tz=None, early=60)

    assert bound == parts
    for tz in ("America/New_York", "Asia/Kathmandu", "Pacific/Chatham", "UTC"):
        for minutes_left in range(0, 121):
            text = templates.sms(
                "reminder", label=label, start=BURST, tz=tz, link=link, lead=60, minutes_left=minutes_left
            )
            assert sms_text.parts(text) <= bound, (tz, minutes_left)


def test_a_reminder_known_to_fit_one_part_in_its_zone_is_counted_one():
    label = "Tuesday chats later"  # 160 septets in New York, more where the time reads longer
    in_new_york = templates.reminder_parts(
        label=label, start=BURST, link=SHORT_LINK, lead=60, tz="America/New_York", early=60
    )
    anywhere = templates.reminder_parts(label=label, start=BURST, link=SHORT_LINK, lead=60, tz=None, early=60)

    assert (in_new_york, anywhere) == (1, 2)  # "Wed Dec 2, 11:00 AM AEDT" reads longer than "EST"
