"""The reminder pipeline's queue message and the times every stage of it shares.

The pipeline: sweep → queue → worker → SMS / email, once, on time, discreet.

- The sweep (`reminder_sweep`) runs every minute. For each lead time in use it
  queries the `by_start` index (an hour bucket per shard, sorted by start
  minute) for sessions starting that long after the minutes being swept, so its
  cost follows the reminders due, not the number of groups or series. A
  watermark lets it catch up minutes it missed, an hour of due time at a time,
  advanced as each hour is queued and bounded per run; sessions that already
  started are dropped, never reminded late.
- One queue message (`Job`) per (member, session, planned start, channel, lead);
  notices (`notices`: cancelled, moved, promoted, series ended) use the same queue.
- The worker (`reminder_worker`) re-checks everything at send time, reminders
  and notices alike, honours quiet hours, claims a ledger item with a
  conditional write (a lease), sends, then marks it sent. A provider's answer is
  read as transient (retried), permanent for that recipient (recorded for them
  only) or configuration (nobody changes, sending stops, ops are paged).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta

from chalicelib.domain import templates
from chalicelib.store import keys
from chalicelib.store.members import MemberItem
from chalicelib.store.sessions import compact

MAX_CATCH_UP = timedelta(hours=6)  # due time older than this is given up
MAX_DELAY_SECONDS = 900  # SQS's limit; longer waits hop through the queue again
LEDGER_KEPT = timedelta(days=14)
DELIVERY_MARGIN = timedelta(seconds=30)  # handed to the provider this long before the start at the latest
DROPPED_LATE = "RemindersDroppedLate"  # a reminder that could only have arrived after the start

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    return datetime.now(UTC)


def minute(instant: datetime) -> datetime:
    return instant.astimezone(UTC).replace(second=0, microsecond=0)


def iso(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


class PoisonMessageError(ValueError):
    """A queue message Hearth cannot read; it is retried and then lands in the dead-letter queue."""


@dataclass(frozen=True)
class Job:
    """One queued message: a reminder (one channel, one lead) or a notice (every chosen channel)."""

    kind: str
    member_id: str
    group_id: str
    subject: str  # a session id, or a series id for `series_ended`
    start: str  # the session's start as known when queued (UTC ISO)
    label: str
    channel: str | None = None
    lead: int | None = None
    new_start: str | None = None
    sequence: int = 0
    not_before: str | None = None

    def to_json(self) -> str:
        return json.dumps({k: v for k, v in asdict(self).items() if v is not None}, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> Job:
        try:
            data = json.loads(text)
            job = cls(**data)
            parse(job.start)
        except (TypeError, ValueError) as exc:
            raise PoisonMessageError("Unreadable reminder message.") from exc
        if job.kind not in templates.KINDS or (
            job.kind == templates.REMINDER and (not job.channel or not job.lead)
        ):
            raise PoisonMessageError("Unknown reminder message kind.")
        return job

    @property
    def what(self) -> str:
        """What the ledger counts once: the lead for reminders, the change for notices."""
        if self.kind == templates.REMINDER:  # per planned start: a moved session is reminded again
            return f"lead{self.lead}@{compact(parse(self.start))}"
        return f"{self.kind}{self.sequence}"


def due_at(job: Job) -> datetime:
    """When a reminder is due: its session's start less its lead."""
    return parse(job.start) - timedelta(minutes=job.lead or 0)


def ledger_key(job: Job) -> keys.Key:
    return keys.ledger(job.member_id, job.subject, job.channel or "", job.what)


def contact_status(member: MemberItem, channel: str) -> str | None:
    return member.phone_status if channel == "sms" else member.email_status
