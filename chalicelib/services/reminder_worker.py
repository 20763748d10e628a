"""The reminder worker: each queued reminder or notice re-checked, claimed, paced and sent
(see `reminder_jobs` for the whole pipeline)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import cached_property

from chalicelib import crypto
from chalicelib.domain import preferences, recurrence, templates
from chalicelib.domain.timezones import zone
from chalicelib.notify import pace
from chalicelib.notify.queue import ReminderQueue
from chalicelib.notify.senders import (
    ConfigurationSendError,
    PacedLaterError,
    PermanentSendError,
    Sender,
    TooLateError,
    TransientSendError,
    sender,
)
from chalicelib.observability import count, logger
from chalicelib.services.reminder_jobs import (
    DELIVERY_MARGIN,
    DROPPED_LATE,
    LEDGER_KEPT,
    MAX_DELAY_SECONDS,
    Clock,
    Job,
    contact_status,
    iso,
    parse,
    utcnow,
)
from chalicelib.settings import get_settings
from chalicelib.store.members import ACTIVE, MemberItem, MemberRepository
from chalicelib.store.reminders import AlreadySentError, LedgerRepository
from chalicelib.store.sessions import CANCELLED, SCHEDULED, SessionItem, SessionRepository

MISCONFIGURED = "delivery_misconfigured"  # the metric infra/template.yaml alarms on


def unsubscribe_token(group_id: str, member_id: str) -> str:
    return crypto.sign("unsubscribe", f"{group_id}.{member_id}")


@dataclass
class ReminderWorker:
    queue: ReminderQueue
    ledger: LedgerRepository = field(default_factory=LedgerRepository)
    members: MemberRepository = field(default_factory=MemberRepository)
    sessions: SessionRepository = field(default_factory=SessionRepository)
    outbound: Callable[[], Sender] = sender
    clock: Clock = utcnow

    @cached_property
    def base_url(self) -> str:
        return get_settings().public_base_url

    def handle(self, job: Job) -> str:
        """Deliver one job; returns what happened (`sent`, `deferred`, or `skipped:<reason>`)."""
        now = self.clock()
        if job.not_before and parse(job.not_before) > now:
            return self._defer(job, parse(job.not_before), now)
        member = self._member(job)
        if member is None:
            return self._skip("no_member")
        if job.kind == templates.REMINDER:
            return self._remind(job, member, now)
        return self._notify(job, member, now)

    def _member(self, job: Job) -> MemberItem | None:
        found = self.members.get(job.group_id, job.member_id, consistent=True)
        return found if found is not None and found.status == ACTIVE else None

    @staticmethod
    def _skip(reason: str) -> str:
        count("reminders_skipped", reason=reason)
        return f"skipped:{reason}"

    def _session(self, job: Job) -> SessionItem | None:
        try:
            series_id, original = recurrence.parse_session_id(job.subject)
        except ValueError:
            return None
        return self.sessions.get(series_id, original, consistent=True)

    def _remind(self, job: Job, member: MemberItem, now: datetime) -> str:
        session = self._session(job)
        if session is None or session.status != SCHEDULED:
            return self._skip("cancelled")
        if iso(session.start) != job.start:
            return self._skip("moved")
        if session.start <= now:
            return self._skip("started")
        if job.member_id not in (session.going or set()):
            return self._skip("not_going")
        prefs = preferences.ReminderPreferences.from_dict(member.reminders)
        if job.lead not in prefs.lead_minutes or job.channel not in prefs.channels:
            return self._skip("preferences")
        if contact_status(member, job.channel or "") != "verified":
            return self._skip("not_verified")
        quiet_end = self._quiet_until(prefs, member.timezone, now)
        if quiet_end is not None:
            if quiet_end < session.start:
                return self._defer(replace(job, not_before=iso(quiet_end)), quiet_end, now)
            return self._skip("quiet_hours")
        return self._deliver(job, member, job.channel or "", session.start, now)

    def _notify(self, job: Job, member: MemberItem, now: datetime) -> str:
        stale = self._stale_notice(job, now)
        if stale is not None:
            return self._skip(stale)
        prefs = preferences.ReminderPreferences.from_dict(member.reminders)
        outcomes = [
            self._deliver(job, member, channel, parse(job.start), now)
            for channel in prefs.channels
            if contact_status(member, channel) == "verified"
        ]
        if not outcomes:
            return self._skip("no_channel")
        return "sent" if "sent" in outcomes else outcomes[0]

    def _stale_notice(self, job: Job, now: datetime) -> str | None:
        """Why a notice no longer holds, read from the session as it is now (None: it holds)."""
        if job.kind == templates.SERIES_ENDED:
            return None
        session = self._session(job)
        if session is None:
            return "no_session"
        if job.kind == templates.CANCELLED:
            return None if session.status == CANCELLED and parse(job.start) > now else "stale"
        if session.status != SCHEDULED:
            return "cancelled"
        if session.start <= now:
            return "started"
        if job.kind == templates.MOVED and job.new_start != iso(session.start):
            return "moved_again"
        if job.member_id not in (session.going or set()):
            return "not_going"
        return None

    @staticmethod
    def _quiet_until(prefs: preferences.ReminderPreferences, tz: str, now: datetime) -> datetime | None:
        """When the member's quiet hours end, if `now` is inside them."""
        quiet = prefs.quiet_hours
        if quiet is None:
            return None
        local = now.astimezone(zone(tz))
        if not quiet.contains(local.hour * 60 + local.minute):
            return None
        _start, end = quiet.minutes()
        ends = local.replace(hour=end // 60, minute=end % 60, second=0, microsecond=0)
        if ends <= local:
            ends += timedelta(days=1)
        return recurrence.local_to_utc(ends.replace(tzinfo=None), tz)

    def _defer(self, job: Job, until: datetime, now: datetime) -> str:
        delay = max(0, min(MAX_DELAY_SECONDS, int((until - now).total_seconds())))
        self.queue.send([job], delay_seconds=delay)
        count("reminders_deferred")
        return "deferred"

    def _deliver(self, job: Job, member: MemberItem, channel: str, start: datetime, now: datetime) -> str:
        sealed: bytes | None = member.phone_enc if channel == "sms" else member.email_enc
        if sealed is None:  # erased, or never given
            return self._skip("no_contact")
        try:
            claim = self.ledger.claim(
                job.member_id, job.subject, channel, job.what, now, keep_until=start + LEDGER_KEPT
            )
        except AlreadySentError:
            return self._skip("duplicate")
        link = f"{self.base_url}/g/{job.group_id}"
        new_start = parse(job.new_start) if job.new_start else None
        minutes_left = int((start - now).total_seconds() // 60)
        if job.kind == templates.REMINDER:
            pacing = pace.sending(pace.REMINDER, deadline=start - DELIVERY_MARGIN)
        else:
            pacing = pace.sending(pace.NOTICE)
        try:
            with pacing:
                self._send(job, member, channel, sealed, start, link, new_start, minutes_left)
        except TooLateError:
            self.ledger.release(claim)
            return self._drop_late(job, channel, start, now)
        except PacedLaterError as exc:  # no turn yet, or the provider throttled: back at the next turn
            self.ledger.release(claim)
            if job.kind == templates.REMINDER and exc.retry_at >= start - DELIVERY_MARGIN:
                return self._drop_late(job, channel, start, now)
            count("reminders_paced", reason=str(exc))
            return self._defer(job, exc.retry_at, now)
        except TransientSendError:
            self.ledger.release(claim)
            count("reminders_failed", reason="transient")
            raise
        except ConfigurationSendError as exc:
            self.ledger.release(claim)  # nobody's state changes; the message comes back
            count(MISCONFIGURED)
            count("reminders_failed", reason="configuration")
            logger().error(
                "sending is misconfigured", extra={"channel": channel, "kind": job.kind, "error": str(exc)}
            )
            raise
        except PermanentSendError as exc:
            self.ledger.mark_sent(claim, now)  # never retried
            if exc.bad_address:
                self.members.contact_unusable(member, channel, "opted_out" if exc.opted_out else "pending")
            count("reminders_failed", reason="permanent")
            logger().warning(
                "send failed for good", extra={"channel": channel, "kind": job.kind, "error": str(exc)}
            )
            return "skipped:permanent_error"
        self.ledger.mark_sent(claim, now)
        count("reminders_sent", channel=channel)
        return "sent"

    @staticmethod
    def _drop_late(job: Job, channel: str, start: datetime, now: datetime) -> str:
        count(DROPPED_LATE)
        logger().warning(
            "reminder dropped: it could only arrive after the session starts",
            extra={
                "channel": channel,
                "kind": job.kind,
                "lead": job.lead,
                "seconds_to_start": int((start - now).total_seconds()),
            },
        )
        return "skipped:too_late"

    def _send(
        self,
        job: Job,
        member: MemberItem,
        channel: str,
        sealed: bytes,
        start: datetime,
        link: str,
        new_start: datetime | None,
        minutes_left: int,
    ) -> None:
        if channel == "sms":
            text = templates.sms(
                job.kind,
                label=job.label,
                start=start,
                tz=member.timezone,
                link=link,
                lead=job.lead,
                new_start=new_start,
                minutes_left=minutes_left,
            )
            self.outbound().sms(crypto.open_sealed("phone", sealed), text)
        else:
            unsubscribe = f"{self.base_url}/v1/unsubscribe/{unsubscribe_token(job.group_id, job.member_id)}"
            mail = templates.email(
                job.kind,
                label=job.label,
                start=start,
                tz=member.timezone,
                link=link,
                unsubscribe=unsubscribe,
                lead=job.lead,
                new_start=new_start,
                minutes_left=minutes_left,
            )
            self.outbound().email(
                crypto.open_sealed("email", sealed),
                mail.subject,
                mail.text,
                mail.html,
                headers={
                    "List-Unsubscribe": f"<{unsubscribe}>",
                    "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                },
            )
