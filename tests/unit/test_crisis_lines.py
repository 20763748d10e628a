"""Crisis lines by country: every entry well formed, sourced, and tappable on a phone."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from chalicelib.domain import crisis_lines
from chalicelib.domain.crisis_lines import INTERNATIONAL, country_for, country_of_zone, for_country
from chalicelib.domain.sms_text import is_gsm7

COVERED = ("US", "CA", "GB", "IE", "AU", "NZ", "DE", "FR", "ES", "NL", "IN", "ZA")
TEL = re.compile(r"^tel:\+?\d{3,15}$")
SMS = re.compile(r"^sms:\+?\d{3,15}(\?body=[A-Z]+)?$")


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


@pytest.mark.parametrize("country", [*COVERED, "international"])
def test_each_entry_has_the_api_shape_and_uris_a_phone_can_tap(country):
    entries = for_country(None if country == "international" else country)

    assert entries
    for entry in entries:
        assert set(entry) <= {"name", "how", "detail", "tel", "sms", "url"}
        assert all(isinstance(entry[field], str) and entry[field] for field in ("name", "how", "detail"))
        assert is_gsm7(entry["name"] + entry["how"]), entry  # a crisis SMS reply quotes them
        if "tel" in entry:
            assert TEL.match(entry["tel"]), entry
            assert _digits(entry["tel"]).lstrip("1").lstrip("61") in _digits(entry["how"]).replace(" ", "")
        if "sms" in entry:
            assert SMS.match(entry["sms"]), entry
            number = entry["sms"].removeprefix("sms:").split("?")[0]
            assert _digits(number)[-6:] in _digits(entry["how"]), entry
            if "?body=" in entry["sms"]:
                assert entry["sms"].split("=")[1] in entry["how"]
        if "url" in entry:
            assert entry["url"].startswith("https://")


@pytest.mark.parametrize("country", COVERED)
def test_each_country_names_a_line_first_and_its_emergency_number_last(country):
    entries = for_country(country)

    assert entries[0]["name"] != "Emergency services"
    assert "tel" in entries[0] or "sms" in entries[0]
    assert entries[-1]["name"] == "Emergency services"
    assert entries[-1]["tel"].startswith("tel:")


@pytest.mark.parametrize(
    ("country", "tel", "sms"),
    [
        ("US", "tel:988", "sms:988"),
        ("CA", "tel:988", "sms:988"),
        ("GB", "tel:116123", None),
        ("IE", "tel:116123", None),
        ("AU", "tel:131114", None),
        ("NZ", "tel:1737", "sms:1737"),
        ("DE", "tel:08001110111", None),
        ("FR", "tel:3114", None),
        ("ES", "tel:024", None),
    ],
)
def test_the_known_anchors(country, tel, sms):
    first = for_country(country)[0]

    assert first["tel"] == tel
    if sms:
        assert first["sms"] == sms


def test_the_us_keeps_988_crisis_text_line_and_911():
    hows = [entry["how"] for entry in for_country("US")]

    assert hows == ["Call or text 988", "Text HOME to 741741", "Call 911"]
    assert for_country("DE")[0]["how"] == "Call 0800 111 0 111 or 0800 111 0 222"


def test_a_country_without_its_own_lines_gets_the_international_directory():
    assert for_country("CH") == for_country(None) == [line.to_dict() for line in INTERNATIONAL]
    assert for_country(None)[0]["url"] == "https://findahelpline.com/"
    assert for_country("de") == for_country("DE")


def test_every_number_cites_its_public_source_in_a_comment():
    """Each `Line(...)` or `_emergency(...)` that carries a number has `# https://...` on the line
    above it or on its own lines."""
    source = Path(crisis_lines.__file__).read_text()
    rows = source.splitlines()
    (table,) = [
        node
        for node in ast.parse(source).body
        if isinstance(node, ast.AnnAssign) and getattr(node.target, "id", None) in ("LINES",)
    ]
    calls = [
        node
        for node in ast.walk(table)
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) in ("Line", "_emergency")
    ]
    numbered = [
        node
        for node in calls
        if getattr(node.func, "id", None) == "_emergency"
        or any(k.arg in ("tel", "sms") for k in node.keywords)
    ]

    assert len(numbered) >= 2 * len(COVERED)
    for node in numbered:
        nearby = rows[node.lineno - 2 : node.end_lineno]
        assert any("# https://" in row for row in nearby), rows[node.lineno - 1]


def test_country_comes_from_the_time_zone_until_one_is_chosen():
    assert country_of_zone("Europe/Berlin") == "DE"
    assert country_of_zone("America/Toronto") == "CA"
    assert country_of_zone("Asia/Kolkata") == "IN"
    assert country_of_zone("Pacific/Auckland") == "NZ"
    assert country_of_zone("UTC") is None
    assert country_for(None, "Europe/Berlin") == "DE"
    assert country_for("FR", "Europe/Berlin") == "FR"


def test_entries_are_fresh_copies():
    listed = for_country("US")
    listed[0]["how"] = "changed"

    assert for_country("US")[0]["how"] == "Call or text 988"


@pytest.mark.parametrize("country", [*COVERED, None])
def test_the_crisis_sms_reply_quotes_the_first_line_and_the_emergency_number_in_gsm7(country):
    from chalicelib.domain.sms_text import crisis_reply
    from chalicelib.domain.templates import check_sms

    lines = for_country(country)

    text = check_sms(crisis_reply(lines))

    assert lines[0]["how"] in text
    assert lines[-1]["how"] in text
