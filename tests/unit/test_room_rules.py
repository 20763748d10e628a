"""The room's pure rules: message text cleaning, time-sortable ids, and the neutral crisis notice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.domain import room

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  hello  ", "hello"),
        ("line one\r\nline two\rline three", "line one\nline two\nline three"),
        ("a\n\n\n\n\n\nb", "a\n\n\nb"),
        ("tab\tseparated", "tab separated"),
        ("bell\x07 and null\x00 gone", "bell and null gone"),
        ("right\u202eto-left override", "rightto-left override"),
        ("zero\u200bwidth space", "zerowidth space"),
        ("family 👨\u200d👩\u200d👧 kept", "family 👨\u200d👩\u200d👧 kept"),
        ("می\u200cخواهم", "می\u200cخواهم"),
        ("<script>alert(1)</script>", "<script>alert(1)</script>"),  # plain text: shown, never run
        ("trailing spaces   \nnext", "trailing spaces\nnext"),
    ],
)
def test_clean_body(raw, expected):
    assert room.clean_body(raw) == expected


@pytest.mark.parametrize("raw", ["", "   ", "\n\t\r", "\x00\x01\x02", "\u200b\u200e"])
def test_nothing_left_after_cleaning_is_refused(raw):
    with pytest.raises(room.MessageTextError):
        room.clean_body(raw)


def test_length_is_counted_after_cleaning():
    assert len(room.clean_body("x" * room.MAX_BODY)) == room.MAX_BODY
    assert room.clean_body("  " + "x" * room.MAX_BODY + "\x00\x00  ") == "x" * room.MAX_BODY
    with pytest.raises(room.MessageTextError):
        room.clean_body("x" * (room.MAX_BODY + 1))


def test_sequences_sort_in_time_order_and_are_unique():
    instants = [NOW + timedelta(milliseconds=step) for step in (0, 1, 999, 1000, 86_400_000)]
    seqs = [room.new_seq(instant) for instant in instants]

    assert seqs == sorted(seqs)
    assert all(room.is_seq(seq) for seq in seqs)
    assert len({room.new_seq(NOW) for _ in range(200)}) == 200


def test_the_floor_sorts_before_everything_written_from_then_on():
    floor = room.seq_floor(NOW)

    assert floor < room.new_seq(NOW) < room.new_seq(NOW + timedelta(milliseconds=1))
    assert room.new_seq(NOW - timedelta(milliseconds=1)) < floor


def test_a_message_id_carries_its_group_and_sequence():
    seq = room.new_seq(NOW)
    message_id = room.message_id("grp_abcdefghijklmnop", seq)

    assert room.parse_message_id(message_id) == room.MessageRef("grp_abcdefghijklmnop", seq)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "msg_",
        "grp_abcdefghijklmnop_1795780800000abcdef",
        "msg_grp_abcdefghijklmnop_123",
        "msg_GRP_ABCDEFGHIJKLMNOP_1795780800000abcdef",
        "msg_grp#x_1795780800000abcdef",
        "msg_grp_abcdefghijklmnop_1795780800000ABCDEF",
        "msg_grp_abcdefghijklmnop_١٧٩٥٧٨٠٨٠٠٠٠٠abcdef",  # other scripts' digits are not digits here
    ],
)
def test_anything_else_is_not_a_message_id(value):
    assert room.parse_message_id(value) is None


def test_the_crisis_notice_is_neutral_and_links_to_the_console():
    notice = room.crisis_notice("https://hearth.example.org/f")

    assert "https://hearth.example.org/f" in notice.text
    for word in ("suicide", "self-harm", "kill", "die", "crisis"):
        assert word not in notice.subject.lower()
        assert word not in notice.text.lower()
