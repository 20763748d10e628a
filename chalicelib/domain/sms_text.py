"""Fixed SMS texts, and the rules every SMS Hearth sends must follow.

Every SMS stays in the GSM-7 alphabet (so it is never re-encoded as UCS-2, which
would triple its cost) and within a known number of segments.
"""

from __future__ import annotations

import re

PROGRAM = "Hearth"

_GSM7_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM7_EXTENDED = "^{}\\[~]|€\f"
SINGLE_SEGMENT = 160
MULTI_SEGMENT = 153
UCS2_SINGLE = 70  # UTF-16 code units
UCS2_MULTI = 67

OPT_OUT_WORDS = frozenset(
    {
        "STOP",
        "STOPALL",
        "UNSUBSCRIBE",
        "CANCEL",
        "END",
        "QUIT",
        "REVOKE",
        "OPTOUT",
        "OPT-OUT",
        "ARRET",
        "REMOVE",
        "TD",
    }
)
OPT_IN_WORDS = frozenset({"START", "UNSTOP", "YES"})
HELP_WORDS = frozenset({"HELP", "INFO"})
JOIN = "JOIN"

UNKNOWN_REPLY = f"{PROGRAM}: reply HELP for help or STOP to opt out."
OPTED_OUT_REPLY = (
    f"{PROGRAM}: you are unsubscribed and will get no more messages. Reply START to resubscribe."
)
OPTED_IN_REPLY = f"{PROGRAM}: you are subscribed again. Reply HELP for help, STOP to opt out."
BAD_CODE_REPLY = f"{PROGRAM}: that code did not work. Check it with your facilitator."
CLOSED_REPLY = (
    f"{PROGRAM}: that group has no room or the code has expired. Ask your facilitator for a new one."
)
REMOVED_REPLY = f"{PROGRAM}: this number cannot join that group."


def help_reply(support: str) -> str:
    return (
        f"{PROGRAM}: peer support group reminders. Help: {support} Msgs vary, about 1-4 per session. "
        "Msg & data rates may apply. Reply STOP to opt out. In crisis call or text 988."
    )


def joined_reply(handle: str, link: str) -> str:
    safe = "".join(char for char in handle if is_gsm7(char))[:24]
    return f"{PROGRAM}: welcome, {safe}. Tap to open your group: {link} Reply STOP to opt out."


def sign_in_reply(link: str, minutes: int) -> str:
    return (
        f"{PROGRAM}: tap to sign in on another device: {link} It works once, for {minutes} minutes. "
        "If you did not ask for it, ignore this."
    )


def crisis_reply(lines: list[dict[str, str]]) -> str:
    """The crisis help by SMS: the country's first line and its emergency number (or the
    international directory), in at most two segments."""
    first, last = lines[0], lines[-1]
    if "tel" in first or "sms" in first:
        reach = f"{first['how']} ({first['name']}), free and confidential."
    else:
        reach = f"{first['how']}: {first.get('url', '')}"
    text = f"{PROGRAM}: you are not alone. {reach} {last['how']} if you are in danger now."
    return "".join(char for char in text if is_gsm7(char))


def parse_keyword(body: str) -> tuple[str, str]:
    """(keyword, rest) of an inbound text: case-insensitive, trimmed, punctuation-tolerant."""
    words = re.sub(r"[^\w\s-]", " ", body).split()
    if not words:
        return "", ""
    first = words[0].upper().strip("-")
    if first == "OPT" and len(words) > 1 and words[1].upper() == "OUT":
        return "OPT-OUT", " ".join(words[2:])
    return first, " ".join(words[1:])


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


def parts(text: str) -> int:
    """Message parts a text costs the carrier: GSM-7 septets (an extended character takes two),
    or UTF-16 code units when any character is outside GSM-7 (UCS-2: 70 in one part, 67 a part
    when split)."""
    if is_gsm7(text):
        return segments(text)
    units = len(text.encode("utf-16-le")) // 2
    if units <= UCS2_SINGLE:
        return 1
    return -(-units // UCS2_MULTI)
