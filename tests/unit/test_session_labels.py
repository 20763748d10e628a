"""Session labels give nothing of the group away, however the words are dressed up."""

from __future__ import annotations

import pytest

from chalicelib.domain.labels import label_problem, words

NAME, TOPIC, DESCRIPTION = (
    "Tuesday Circle",
    "grief",
    "A gentle space for people after a loss of someone close.",
)


@pytest.mark.parametrize(
    "label",
    [
        "opioid check-in",  # a condition, not in the group's own text
        "Opi0ids",
        "AA meeting",
        "self harm chat",
        "ANXI3TY",
        "Pánic room",
        "Gamblers",
        "Tuesday Circle",  # the name, as it is
        "tuesdai meetup",  # the name, one letter off
        "TUE5DAY",  # the name, digits for letters
        "Gentle hour",  # a word of the description
        "Grieving together",
    ],
)
def test_labels_that_give_the_group_away_are_refused(label):
    assert label_problem(label, NAME, TOPIC, DESCRIPTION) is not None


@pytest.mark.parametrize(
    "label", ["your session", "Weekly check-in", "Thursday tea", "harmony hour", "transit chat", "Book club"]
)
def test_neutral_labels_pass(label):
    assert label_problem(label, NAME, TOPIC, DESCRIPTION) is None


def test_words_read_look_alikes_as_letters():
    assert words("Ópi0ïd-C4fé") == ["opioid", "cafe"]
