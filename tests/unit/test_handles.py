"""Handles: cleaned for display, refused when they could reach or mislead, unique by look-alike key."""

from __future__ import annotations

import itertools
import random

import pytest

from chalicelib.domain import handles
from chalicelib.domain.handles import (
    HandleError,
    clean_handle,
    generate_handle,
    generated_candidates,
    handle_key,
)


def seeded(seed: int) -> random.Random:
    """A repeatable source for tests (production passes `random.SystemRandom()`)."""
    return random.Random(seed)


# --- cleaning ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Quiet Otter", "Quiet Otter"),
        ("  Quiet   Otter  ", "Quiet Otter"),
        ("Quiet\tOtter", "Quiet Otter"),
        ("Ｑｕｉｅｔ Ｏｔｔｅｒ", "Quiet Otter"),  # full-width letters, NFKC
        ("quiet otter", "quiet otter"),  # case is kept
        ("José’s Cat", "José's Cat"),  # curly apostrophe from a phone keyboard
        ("Zoë", "Zoë"),
        ("Тихая Выдра", "Тихая Выдра"),
        ("静かなカワウソ", "静かなカワウソ"),
        ("قمر هادئ", "قمر هادئ"),
        ("क्षितिज", "क्षितिज"),  # combining vowel signs after letters are fine
        ("Mr. Smith", "Mr. Smith"),
        ("sun_beam-42", "sun_beam-42"),
        ("Owl 123456", "Owl 123456"),  # six digits is a number, not a phone
        ("Modest Owl", "Modest Owl"),  # "mod" only counts as a whole word
        ("abc", "abc"),
        ("a" * 24, "a" * 24),
    ],
)
def test_acceptable_handles_are_cleaned_for_display(raw, expected):
    assert clean_handle(raw) == expected


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("ab", "3 to 24"),
        ("   ab   ", "3 to 24"),
        ("a" * 25, "3 to 24"),
        ("x" * 5000, "3 to 24"),
        ("Quiet\u200bOtter", "invisible"),  # zero-width space
        ("Quiet\u202eOtter", "invisible"),  # right-to-left override
        ("\ufeffQuiet Otter", "invisible"),  # byte order mark
        ("Quiet\x00Otter", "invisible"),
        ("Quiet Otter 🦦", "letters, numbers"),
        ("<b>Otter</b>", "letters, numbers"),
        ("Otter#1", "letters, numbers"),
        ("abc\u0301\u0302\u0303\u0304\u0305", "letters, numbers"),  # stacked combining marks ("Zalgo")
        ("\u0301abc", "letters, numbers"),  # a mark with no letter to sit on
        ("___", "at least one letter"),
        ("123", "at least one letter"),
    ],
)
def test_malformed_handles_are_refused_with_a_reason(raw, reason):
    with pytest.raises(HandleError, match=reason):
        clean_handle(raw)


@pytest.mark.parametrize(
    "raw",
    ["555 123 4567", "Otter 5551234", "Otter 555.123.4567", "Otter 555-123-4567", "1 2 3 4 5 6 7 owl"],
)
def test_phone_numbers_are_refused(raw):
    with pytest.raises(HandleError, match="phone number"):
        clean_handle(raw)


@pytest.mark.parametrize("raw", ["me@example.org", "otter@home", "otter＠home"])
def test_emails_are_refused(raw):
    with pytest.raises(HandleError, match="email"):
        clean_handle(raw)


@pytest.mark.parametrize(
    "raw",
    ["x.com", "bit.ly", "otter.io", "www.otter", "http otter", "HTTPS otter", "otter . com", "otter dot com"],
)
def test_links_are_refused(raw):
    with pytest.raises(HandleError, match="link"):
        clean_handle(raw)


@pytest.mark.parametrize(
    "raw",
    [
        "admin",
        "ADMIN",
        "Adm1n",
        "а dmin",  # Cyrillic а, and a space to split the word
        "The Admin",
        "M0derator",
        "moderator",
        "f4cilitator",
        "Facilitator Sam",
        "staff",
        "St4ff",
        "mod",
        "Mod Squad",
        "M0D",
        "the mods",
        "Official Otter",
        "0ff1c1al",
        "Hearth Team",
        "hearth-team",
        "Support Team",
        "supp0rt_team",
    ],
)
def test_staff_words_are_refused_even_in_disguise(raw):
    with pytest.raises(HandleError, match="staff"):
        clean_handle(raw)


def test_handle_errors_are_value_errors():
    assert issubclass(HandleError, ValueError)


# --- the look-alike key ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "other",
    [
        "quiet-otter",
        "QUIET OTTER",
        "Quíet 0tter",
        "quiet_otter",
        "quiet.otter",
        "Qu1et Otter",
        "Qu|et Otter",
        "QuietOtter",
        "Quiet Оtter",  # Cyrillic О
        "Ｑｕｉｅｔ Ｏｔｔｅｒ",
        "quiet ottér",
    ],
)
def test_look_alike_handles_share_a_key(other):
    assert handle_key(other) == handle_key("Quiet Otter")


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("Modern Wren", "Modem Wren"),  # rn reads as m
        ("Wren", "Vvren"),  # vv reads as w
        ("Lily", "Iily"),  # i and l are one class
        ("Sam", "5am"),
        ("Bea", "8ea"),
        ("Tom", "7om"),
        ("Kara", "Каrа"),  # Cyrillic К and а
        ("Pax", "Ραχ"),  # Greek Ρ α χ
    ],
)
def test_confusable_letters_and_digits_collide(one, other):
    assert handle_key(one) == handle_key(other)


@pytest.mark.parametrize(
    ("one", "other"), [("Quiet Otter", "Quiet Owl"), ("Quiet Otter", "Quiet Otter 2"), ("Sam", "Pam")]
)
def test_different_handles_have_different_keys(one, other):
    assert handle_key(one) != handle_key(other)


def test_key_of_a_clean_handle_is_never_empty():
    assert handle_key(clean_handle("a.b")) == "ab"
    assert handle_key(clean_handle("क्षितिज"))


# --- generated handles -------------------------------------------------------------------------


def test_word_lists_are_long_gentle_and_distinct():
    hurtful = {"lonely", "broken", "dead", "sad", "lost", "crazy", "psycho", "mad", "anxious", "manic"}

    for words in (handles.ADJECTIVES, handles.NOUNS):
        assert len(words) >= 40
        assert len({handle_key(word) for word in words}) == len(words)
        assert not hurtful & {word.casefold() for word in words}


def test_every_generated_handle_passes_cleaning_even_with_a_number():
    for adjective, noun in itertools.product(handles.ADJECTIVES, handles.NOUNS):
        for handle in (f"{adjective} {noun}", f"{adjective} {noun} 999"):
            assert clean_handle(handle) == handle


def test_generated_handle_is_two_words_and_repeatable_with_a_seed():
    first = generate_handle(seeded(7))

    assert first == generate_handle(seeded(7))
    adjective, noun = first.split(" ")
    assert adjective in handles.ADJECTIVES
    assert noun in handles.NOUNS


def test_candidates_have_distinct_keys_plain_first_then_numbered():
    candidates = generated_candidates(seeded(3), 6)

    assert len(candidates) == 6
    assert len({handle_key(name) for name in candidates}) == 6
    assert all(len(name.split(" ")) == 2 for name in candidates[:3])
    assert all(name.rsplit(" ", 1)[1].isdigit() for name in candidates[3:])
    assert all(clean_handle(name) == name for name in candidates)


class SameWordsRandom(random.Random):
    """Always draws the same words, so only a number can tell candidates apart."""

    def choice(self, seq):
        return seq[0]


def test_a_number_is_added_when_words_repeat():
    candidates = generated_candidates(SameWordsRandom(1), 5)

    assert candidates[0] == "Amber Acorn"
    assert all(name.startswith("Amber Acorn ") for name in candidates[1:])
    assert len({handle_key(name) for name in candidates}) == 5


def test_candidates_work_with_the_system_random_source():
    candidates = generated_candidates(random.SystemRandom(), 10)

    assert len({handle_key(name) for name in candidates}) == 10


def test_candidate_count_is_bounded():
    assert generated_candidates(seeded(0), 0) == []
    assert len(generated_candidates(seeded(0), handles.MAX_CANDIDATES)) == handles.MAX_CANDIDATES
    with pytest.raises(ValueError, match="count"):
        generated_candidates(seeded(0), -1)
    with pytest.raises(ValueError, match="count"):
        generated_candidates(seeded(0), handles.MAX_CANDIDATES + 1)
