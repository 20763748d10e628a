"""A member's reminder preferences and the rules they must follow."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

CHANNELS = ("sms", "email")
MIN_LEAD = 10
MAX_LEAD = 7 * 24 * 60
MAX_LEADS = 3
DEFAULT_LEADS = (60,)
_CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


class PreferenceError(ValueError):
    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message)
        self.field = field_name


@dataclass(frozen=True)
class QuietHours:
    start: str
    end: str

    def minutes(self) -> tuple[int, int]:
        return _to_minutes(self.start), _to_minutes(self.end)

    def contains(self, minute_of_day: int) -> bool:
        """Whether a local minute of the day is quiet (the range may wrap midnight)."""
        start, end = self.minutes()
        if start <= end:
            return start <= minute_of_day < end
        return minute_of_day >= start or minute_of_day < end


@dataclass(frozen=True)
class ReminderPreferences:
    channels: tuple[str, ...] = CHANNELS
    lead_minutes: tuple[int, ...] = DEFAULT_LEADS
    quiet_hours: QuietHours | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "channels": list(self.channels),
            "lead_minutes": list(self.lead_minutes),
            "quiet_hours": None
            if self.quiet_hours is None
            else {"start": self.quiet_hours.start, "end": self.quiet_hours.end},
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> ReminderPreferences:
        if not data:
            return cls()
        quiet = data.get("quiet_hours")
        return cls(
            channels=tuple(data.get("channels", CHANNELS)),
            lead_minutes=tuple(int(m) for m in data.get("lead_minutes", DEFAULT_LEADS)),
            quiet_hours=QuietHours(quiet["start"], quiet["end"]) if quiet else None,
        )


def _to_minutes(clock: str) -> int:
    match = _CLOCK.match(clock)
    if match is None:
        raise PreferenceError("quiet_hours", "Use 24-hour HH:MM times.")
    return int(match.group(1)) * 60 + int(match.group(2))


def validate(
    channels: list[str], lead_minutes: list[int], quiet: dict[str, str] | None
) -> ReminderPreferences:
    """Checked preferences; `PreferenceError` names the field that is wrong."""
    if len(set(channels)) != len(channels) or any(channel not in CHANNELS for channel in channels):
        raise PreferenceError("channels", "Channels are 'sms' and/or 'email', each at most once.")
    if not 1 <= len(lead_minutes) <= MAX_LEADS:
        raise PreferenceError("lead_minutes", f"Choose 1 to {MAX_LEADS} reminder times.")
    if len(set(lead_minutes)) != len(lead_minutes):
        raise PreferenceError("lead_minutes", "Reminder times must differ.")
    if any(not MIN_LEAD <= minutes <= MAX_LEAD for minutes in lead_minutes):
        raise PreferenceError("lead_minutes", "Reminders go 10 minutes to 7 days before a session.")
    quiet_hours = None
    if quiet is not None:
        quiet_hours = QuietHours(quiet.get("start", ""), quiet.get("end", ""))
        start, end = quiet_hours.minutes()
        if start == end:
            raise PreferenceError("quiet_hours", "Quiet hours must start and end at different times.")
    return ReminderPreferences(
        channels=tuple(channels),
        lead_minutes=tuple(sorted(lead_minutes, reverse=True)),
        quiet_hours=quiet_hours,
    )
