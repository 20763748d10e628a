"""SMS texts stay in GSM-7 and within their segment budget; keywords parse forgivingly."""

from __future__ import annotations

import pytest

from chalicelib.domain import sms_text
from chalicelib.domain.templates import check_sms

FIXED = [
    sms_text.UNKNOWN_REPLY,
    sms_text.OPTED_OUT_REPLY,
    sms_text.OPTED_IN_REPLY,
    sms_text.BAD_CODE_REPLY,
    sms_text.CLOSED_REPLY,
    sms_text.REMOVED_REPLY,
]


@pytest.mark.parametrize("text", FIXED)
def test_fixed_replies_are_gsm7_and_one_segment(text):
    assert sms_text.is_gsm7(text)
    assert sms_text.segments(text) == 1
    assert text.startswith("Hearth: ")


def test_help_reply_names_the_program_help_frequency_rates_and_stop():
    text = check_sms(sms_text.help_reply("hearth-support-groups.example.org/help"))

    for part in (
        "Hearth",
        "Help: hearth-support-groups.example.org/help",
        "Msgs vary",
        "Msg & data rates may apply",
        "Reply STOP",
    ):
        assert part in text


def test_join_reply_with_long_values_fits_two_segments():
    link = "https://hearth-support-groups.example.org/g/grp_abcdefghijklmnop#login=" + "x" * 32
    text = check_sms(sms_text.joined_reply("Ünïcode Handle Näme 999", link))

    assert link in text
    assert sms_text.segments(text) <= 2


def test_segment_counting():
    assert sms_text.segments("a" * 160) == 1
    assert sms_text.segments("a" * 161) == 2
    assert sms_text.segments("a" * 306) == 2
    assert sms_text.segments("a" * 307) == 3
    assert sms_text.segments("€" * 80) == 1  # extended characters take two septets
    assert sms_text.segments("€" * 81) == 2


def test_non_gsm7_text_is_detected():
    assert not sms_text.is_gsm7("Let’s meet")  # curly apostrophe forces UCS-2
    with pytest.raises(ValueError, match="GSM-7"):
        sms_text.segments("🙂")


@pytest.mark.parametrize(
    ("body", "keyword", "rest"),
    [
        ("STOP", "STOP", ""),
        ("  stop. ", "STOP", ""),
        ("Stop!!", "STOP", ""),
        ("opt-out", "OPT-OUT", ""),
        ("Opt out", "OPT-OUT", ""),
        ("optout", "OPTOUT", ""),
        ("join abcd-2345", "JOIN", "abcd-2345"),
        ("JOIN: ABCD 2345", "JOIN", "ABCD 2345"),
        ("Join, ABCD2345!", "JOIN", "ABCD2345"),
        ("help?", "HELP", ""),
        ("", "", ""),
        ("   ", "", ""),
        ("hello there", "HELLO", "there"),
    ],
)
def test_keywords_parse_case_and_punctuation_tolerantly(body, keyword, rest):
    assert sms_text.parse_keyword(body) == (keyword, rest)
