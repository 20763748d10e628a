"""Fixed SMS texts, and the rules every SMS Hearth sends must follow.

Every SMS stays in the GSM-7 alphabet (so it is never re-encoded as UCS-2, which
would triple its cost) and within a known number of segments.
"""

from __future__ import annotations

PROGRAM = "Hearth"

_GSM7_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM7_EXTENDED = "^{}\\[~]|€\f"
SINGLE_SEGMENT = 160
MULTI_SEGMENT = 153

HELP_REPLY = (
    f"{PROGRAM}: peer support group reminders. Msgs vary, about 1-4 per session. "
    "Msg & data rates may apply. Reply STOP to opt out. In crisis call or text 988."
)
UNKNOWN_REPLY = f"{PROGRAM}: reply HELP for help or STOP to opt out."


def is_gsm7(text: str) -> bool:
    return all(char in _GSM7_BASIC or char in _GSM7_EXTENDED for char in text)


def segments(text: str) -> int:
    """How many SMS segments a GSM-7 text takes."""
    if not is_gsm7(text):
        raise ValueError("Text is not GSM-7.")
    septets = sum(2 if char in _GSM7_EXTENDED else 1 for char in text)
    if septets <= SINGLE_SEGMENT:
        return 1
    return -(-septets // MULTI_SEGMENT)
