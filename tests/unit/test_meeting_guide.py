"""Meeting Guide listing details: names cut at a word, places that imply the zone."""

from __future__ import annotations

import pytest

from chalicelib.services.feeds import NAME_LIMIT, approximate_place, listing_name


def test_long_names_are_cut_at_a_word_with_an_ellipsis():
    name = "Evening circle for people caring for a parent living with dementia at home"

    listed = listing_name(name)

    assert listed == "Evening circle for people caring for a parent living with…"
    assert len(listed) <= NAME_LIMIT
    assert name.startswith(listed.removesuffix("…"))


def test_short_names_are_kept_and_one_long_word_is_cut_where_it_must():
    assert listing_name("Open Harbor") == "Open Harbor"
    assert listing_name("x" * 80) == "x" * (NAME_LIMIT - 1) + "…"
    assert listing_name(("word " * 13).strip() + " tail") == "word " * 11 + "word…"


@pytest.mark.parametrize(
    ("zone", "place"),
    [
        ("America/New_York", "New York, NY, USA"),
        ("Africa/Casablanca", "Casablanca, Morocco"),
        ("America/Argentina/Buenos_Aires", "Buenos Aires, Argentina"),
        ("Europe/Lisbon", "Lisbon, Portugal"),
        ("Australia/Lord_Howe", "Lord Howe, Australia"),
        ("Asia/Singapore", "Singapore"),
        ("Etc/GMT+5", "Online"),
        ("UTC", "Online"),
    ],
)
def test_unmapped_zones_list_their_city_and_country(zone, place):
    assert approximate_place(zone) == place
