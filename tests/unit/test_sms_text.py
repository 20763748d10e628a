"""SMS texts stay in GSM-7 and within their segment budget."""

from __future__ import annotations

import pytest

from chalicelib.domain import sms_text


@pytest.mark.parametrize("text", [sms_text.HELP_REPLY, sms_text.UNKNOWN_REPLY])
def test_fixed_replies_are_gsm7_and_one_segment(text):
    assert sms_text.is_gsm7(text)
    assert sms_text.segments(text) == 1


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
