"""Every reminder and notice Hearth sends, discreet by construction.

A text never carries the group's name or topic (lock screens are public): only
its neutral session label, the start in the member's own time zone with the
zone's abbreviation ("Tue Dec 1, 7:00 PM EST"), a short link and, on SMS, the
opt-out words. Renderers take no group name at all, so they cannot leak it.
Every SMS is GSM-7 and at most two segments; `check_sms` enforces it.
"""

from __future__ import annotations

import html
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from functools import cache, lru_cache

from chalicelib.domain import sms_text, timezones
from chalicelib.domain.timezones import zone

MAX_SMS_SEGMENTS = 2
MAX_LABEL = 40
OPT_OUT = "Reply STOP to opt out."

REMINDER = "reminder"
CANCELLED = "cancelled"
MOVED = "moved"
PROMOTED = "promoted"
SERIES_ENDED = "series_ended"
KINDS = (REMINDER, CANCELLED, MOVED, PROMOTED, SERIES_ENDED)


class TemplateError(ValueError):
    """A rendered SMS broke the budget: a bug or a value that should have been refused earlier."""


@dataclass(frozen=True)
class Email:
    subject: str
    text: str
    html: str


def when(start: datetime, tz: str) -> str:
    """`Tue Dec 1, 7:00 PM EST` in the member's zone."""
    local = start.astimezone(zone(tz))
    hour = local.strftime("%I").lstrip("0")
    return f"{local:%a %b} {local.day}, {hour}:{local:%M %p} {local.tzname()}"


def lead_phrase(minutes: int) -> str:
    if minutes % 1440 == 0:
        days = minutes // 1440
        return "tomorrow" if days == 1 else f"in {days} days"
    if minutes % 60 == 0:
        hours = minutes // 60
        return "in 1 hour" if hours == 1 else f"in {hours} hours"
    return f"in {minutes} minutes"


LATE_BY = 2  # minutes: a reminder this much later than its lead still says the lead's words


def countdown(lead: int, minutes_left: int | None) -> str:
    """How soon the session starts: the lead's words when the reminder is on time, else the real
    time left (a reminder delayed by quiet hours, a retry or a catch-up)."""
    if minutes_left is None or abs(minutes_left - lead) <= LATE_BY:
        return lead_phrase(lead)
    if minutes_left < 1:
        return "now"
    if minutes_left < 90:
        return "in 1 minute" if minutes_left == 1 else f"in {minutes_left} minutes"
    if minutes_left < 36 * 60:
        return f"in about {round(minutes_left / 60)} hours"
    return f"in about {round(minutes_left / 1440)} days"


def gsm_safe(text: str) -> str:
    """`text` folded to the GSM-7 alphabet (accents dropped, curly quotes straightened)."""
    replaced = text.replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"').replace("–", "-")
    folded = "".join(
        char
        if sms_text.is_gsm7(char)
        else unicodedata.normalize("NFKD", char).encode("ascii", "ignore").decode()
        for char in replaced
    )
    return folded


def check_sms(text: str) -> str:
    if not sms_text.is_gsm7(text):
        raise TemplateError("SMS text is not GSM-7.")
    if sms_text.segments(text) > MAX_SMS_SEGMENTS:
        raise TemplateError("SMS text is longer than two segments.")
    return text


def _label(label: str) -> str:
    return gsm_safe(label)[:MAX_LABEL].strip() or "your session"


def _headline(
    kind: str,
    label: str,
    start: datetime,
    tz: str,
    lead: int | None,
    new_start: datetime | None,
    minutes_left: int | None = None,
) -> str:
    at = when(start, tz)
    if kind == REMINDER:
        soon = f" ({countdown(lead, minutes_left)})" if lead else ""
        return f"Reminder: {label} starts {at}{soon}."
    if kind == CANCELLED:
        return f"{label.capitalize()} on {at} is cancelled."
    if kind == MOVED:
        assert new_start is not None
        return f"{label.capitalize()} has moved to {when(new_start, tz)}."
    if kind == PROMOTED:
        return f"A place opened up: you are going to {label} on {at}."
    if kind == SERIES_ENDED:
        return f"{label.capitalize()} has come to an end; no more dates are planned. Thank you for coming."
    raise ValueError(f"Unknown notice kind: {kind}")


def sms(
    kind: str,
    *,
    label: str,
    start: datetime,
    tz: str,
    link: str,
    lead: int | None = None,
    new_start: datetime | None = None,
    minutes_left: int | None = None,
) -> str:
    """The SMS for a reminder or notice; raises `TemplateError` if it would break the budget."""
    headline = _headline(kind, _label(label), start, tz, lead, new_start, minutes_left)
    return check_sms(f"{sms_text.PROGRAM}: {headline} {link} {OPT_OUT}")


@lru_cache(maxsize=4096)
def reminder_parts(*, label: str, start: datetime, link: str, lead: int, tz: str | None, early: int) -> int:
    """The most message parts the reminder SMS for this session and lead can take when it is sent
    up to `early` minutes before its due time or any time after: rendered with the longest
    countdown it could say then, in the member's zone `tz` or, unknown, the zone whose time reads
    longest. Every other word of it is fixed when it is planned."""
    minutes_left = _longest_countdown(lead, lead + early)
    try:
        text = sms(
            REMINDER,
            label=label,
            start=start,
            tz=tz or _longest_zone(start),
            link=link,
            lead=lead,
            minutes_left=minutes_left,
        )
    except TemplateError:  # it will not be sent as such; plan for the most a text may take
        return MAX_SMS_SEGMENTS
    return sms_text.parts(text)


@cache
def _longest_countdown(lead: int, most: int) -> int:
    """The minutes left, from 0 to `most`, whose countdown reads longest (every phrase is plain
    ASCII: one septet a character)."""
    return max(range(most + 1), key=lambda left: len(countdown(lead, left)))


@lru_cache(maxsize=256)
def _longest_zone(start: datetime) -> str:
    """The zone in which `start` reads longest ("Wed Dec 30, 12:30 AM +0545")."""
    return max(sorted(timezones.names()), key=lambda name: len(when(start, name)))


def email(
    kind: str,
    *,
    label: str,
    start: datetime,
    tz: str,
    link: str,
    unsubscribe: str,
    lead: int | None = None,
    new_start: datetime | None = None,
    minutes_left: int | None = None,
) -> Email:
    label = label.strip()[:MAX_LABEL] or "your session"
    headline = _headline(kind, label, start, tz, lead, new_start, minutes_left)
    subject = "A reminder from Hearth" if kind == REMINDER else "An update from Hearth"
    text = (
        f"{headline}\n\nDetails and the join link: {link}\n\n"
        f"You get these because you chose email reminders. Stop them: {unsubscribe}\n"
    )
    body = (
        f"<p>{html.escape(headline)}</p>"
        f'<p><a href="{html.escape(link, quote=True)}">Details and the join link</a></p>'
        f'<p style="color:#555">You get these because you chose email reminders. '
        f'<a href="{html.escape(unsubscribe, quote=True)}">Stop them</a>.</p>'
    )
    return Email(subject, text, body)
