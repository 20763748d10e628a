"""The group room's pure rules: message text, time-sortable ids, cursors and the crisis notice.

A message body is plain text: trimmed, with control and invisible formatting characters
removed (line breaks and the joiners emoji and some scripts need are kept), 1 to
`MAX_BODY` characters. Messages, alerts and audit entries are ordered by a sequence
that starts with the UTC millisecond they were written, so a DynamoDB sort key in
that order is also newest-first when read backwards. A message id carries its group
and sequence, so the message is found again with one GetItem.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime

MAX_BODY = 2000
MAX_BLANK_LINES = 2

_SEQ_DIGITS = 13  # UTC milliseconds: fixed width until the year 2286
_SEQ_SUFFIX = 6
_BASE32 = "abcdefghijklmnopqrstuvwxyz234567"
SEQ_PATTERN = rf"^[0-9]{{{_SEQ_DIGITS}}}[{_BASE32}]{{{_SEQ_SUFFIX}}}$"  # also the shape of a page cursor
_SEQ = re.compile(SEQ_PATTERN)
_GROUP_ID = re.compile(r"^[a-z]+_[a-z2-7]{4,40}$")
_MESSAGE_PREFIX = "msg_"

_KEPT_FORMAT = frozenset({"\u200c", "\u200d"})  # ZWNJ and ZWJ: Persian, Indic scripts, emoji sequences
_DROPPED = frozenset({"Cc", "Cf", "Cs", "Co"})  # not "Cn": emoji newer than this Python are unassigned here
_LINE_BREAKS = re.compile(r"\r\n?|[\u2028\u2029\x85\x0b\x0c]")
_BLANK_RUN = re.compile(r"\n(?:[ \t]*\n){" + str(MAX_BLANK_LINES) + r",}")
_TRAILING_SPACE = re.compile(r"[ \t]+\n")


class MessageTextError(ValueError):
    """A body Hearth will not post; the message is safe to show to its author."""


def clean_body(raw: str) -> str:
    """`raw` as stored: control characters removed, line breaks unified, trimmed, length checked."""
    text = _LINE_BREAKS.sub("\n", raw).replace("\t", " ")
    text = "".join(
        ch for ch in text if ch == "\n" or ch in _KEPT_FORMAT or unicodedata.category(ch) not in _DROPPED
    )
    text = _TRAILING_SPACE.sub("\n", text)
    text = _BLANK_RUN.sub("\n" * (MAX_BLANK_LINES + 1), text).strip()
    if not text:
        raise MessageTextError("Write something first.")
    if len(text) > MAX_BODY:
        raise MessageTextError(f"Keep it to {MAX_BODY} characters.")
    return text


# --- contact details typed into the room ------------------------------------------------

_EMAIL = re.compile(r"[^\s@<>()\[\]\"',;:]+@[^\s@<>()\[\]\"',;:]+\.[^\W\d_]{2,}")
_PHONE = re.compile(r"(?<![\w+])\+?\(?\d(?:[ ().\-/\u00a0]{0,3}\d){6,17}(?!\w)")
_DATE = re.compile(r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}")
EMAIL_HIDDEN = "[email hidden]"
PHONE_HIDDEN = "[phone number hidden]"
MASKED_NOTICE = (
    "We hid a phone number or email address in what you wrote, so the room sees a placeholder "
    "instead. Sharing contact details here can put people at risk; a facilitator can help if "
    "you want to stay in touch with someone."
)


def _phone_or_kept(match: re.Match[str]) -> str:
    text = match.group(0)
    digits = sum(ch.isdecimal() for ch in text)
    if _DATE.fullmatch(text) or not 7 <= digits <= 15:
        return text
    return PHONE_HIDDEN


def mask_contacts(text: str) -> tuple[str, bool]:
    """`text` with phone numbers and email addresses replaced by placeholders, and whether any was."""
    masked = _EMAIL.sub(EMAIL_HIDDEN, text)
    masked = _PHONE.sub(_phone_or_kept, masked)
    return masked, masked != text


# --- ordering and ids --------------------------------------------------------------------


def _millis(instant: datetime) -> int:
    return int(instant.timestamp() * 1000)


def new_seq(instant: datetime) -> str:
    """A sort key suffix that orders by `instant` (to the millisecond), random within it."""
    suffix = "".join(secrets.choice(_BASE32) for _ in range(_SEQ_SUFFIX))
    return f"{_millis(instant):0{_SEQ_DIGITS}d}{suffix}"


def seq_floor(instant: datetime) -> str:
    """A bound that sorts before every sequence written at or after `instant`."""
    return f"{max(0, _millis(instant)):0{_SEQ_DIGITS}d}"


def is_seq(value: str) -> bool:
    return bool(_SEQ.match(value))


def message_id(group_id: str, seq: str) -> str:
    return f"{_MESSAGE_PREFIX}{group_id}_{seq}"


_ALERT_PREFIX = "alt_"


def alert_id(seq: str) -> str:
    return f"{_ALERT_PREFIX}{seq}"


def parse_alert_id(value: str) -> str | None:
    """The sequence inside an alert id, or None if it is not one Hearth made."""
    seq = value.removeprefix(_ALERT_PREFIX)
    return seq if value.startswith(_ALERT_PREFIX) and is_seq(seq) else None


@dataclass(frozen=True)
class MessageRef:
    group_id: str
    seq: str


def parse_message_id(value: str) -> MessageRef | None:
    """The group and sequence inside a message id, or None if it is not one Hearth made."""
    if not value.startswith(_MESSAGE_PREFIX):
        return None
    group_id, _, seq = value[len(_MESSAGE_PREFIX) :].rpartition("_")
    if not _GROUP_ID.match(group_id) or not is_seq(seq):
        return None
    return MessageRef(group_id, seq)


# --- live connections -------------------------------------------------------------------


@dataclass(frozen=True)
class Endpoint:
    """An API Gateway WebSocket API stage, where pushes to its connections are posted."""

    api_id: str
    stage: str


@dataclass(frozen=True)
class LiveConnection:
    """One open WebSocket: whose it is decides what it may receive (and `mine`)."""

    connection_id: str
    role: str
    subject_id: str


# --- the facilitator's crisis notice -----------------------------------------------------


@dataclass(frozen=True)
class Notice:
    subject: str
    text: str


def crisis_notice(console_url: str) -> Notice:
    """What a facilitator is sent: neutral on a lock screen, no message text, no group name."""
    return Notice(
        subject="Hearth: an alert is waiting for you",
        text=(
            "Hello,\n\n"
            "A message in one of the groups you facilitate may need your attention soon.\n"
            f"Please open your facilitator console to see the alert: {console_url}\n\n"
            "For privacy this email never includes the message itself.\n"
        ),
    )
