"""The reminder ledger and the sweep's state.

A ledger item is claimed with a conditional put before anything is sent and
marked sent afterwards, so duplicate sweeps, redelivered messages and
concurrent workers send each message once. A claim is a lease: one left by a
worker that died mid-send is taken over once it is stale, and until then a
retry waits (the queue's visibility timeout outlasts the lease). Only "sent"
means sent: a claim never makes a retry drop its message.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pynamodb.attributes import (
    JSONAttribute,
    NumberAttribute,
    NumberSetAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.expressions.update import Action

from chalicelib.errors import ConflictError
from chalicelib.store import keys
from chalicelib.store.base import conditional, dependency
from chalicelib.store.tables import HearthItem, bind

CLAIMED = "claimed"
SENT = "sent"
STALE_CLAIM = timedelta(minutes=5)


class LedgerItem(HearthItem, discriminator="ledger"):
    status = UnicodeAttribute()
    claimed_at = UTCDateTimeAttribute()
    sent_at = UTCDateTimeAttribute(null=True)


class ReminderStateItem(HearthItem, discriminator="reminder_state"):
    watermark = UTCDateTimeAttribute(null=True)
    rechecked = UTCDateTimeAttribute(null=True)  # due time read again at its due minute, up to here
    planned = JSONAttribute(null=True)  # per channel, the instant the pace is planned up to (UTC ISO)
    leads = NumberSetAttribute(null=True)
    sweeps = NumberAttribute(default=0)


class PlanItem(HearthItem, discriminator="reminder_plan"):
    members = UnicodeSetAttribute(null=True)


class PlanRepository:
    """Who each reminder was planned for when the sweep queued it ahead of its due time, so the
    due minute read again queues only who came since."""

    def record(self, plans: dict[keys.Key, set[str]], keep_until: datetime) -> None:
        if not plans:
            return
        bind()
        with dependency(), PlanItem.batch_write() as batch:
            for key, members in plans.items():
                batch.save(PlanItem(key.pk, key.sk, members=members or None, expires_at=keep_until))

    def planned(self, wanted: list[keys.Key]) -> dict[keys.Key, set[str]]:
        if not wanted:
            return {}
        bind()
        with dependency():
            found = PlanItem.batch_get([(key.pk, key.sk) for key in set(wanted)])
            return {
                keys.Key(item.pk, item.sk): set(item.members or ())
                for item in found
                if isinstance(item, PlanItem)
            }


class AlreadySentError(ConflictError):
    code = "already_sent"


class ClaimHeldError(ConflictError):
    """Another worker holds the claim (sending now, or died mid-send): retry after the lease."""

    code = "claim_held"


class LedgerRepository:
    def claim(
        self, member_id: str, subject: str, channel: str, what: str, now: datetime, keep_until: datetime
    ) -> LedgerItem:
        """Claim one message to `member_id` about `subject` on `channel` (`what`: the lead or the
        change): `AlreadySentError` if the ledger says it was sent, `ClaimHeldError` if a claim
        younger than `STALE_CLAIM` holds it (the message must come back later)."""
        bind()
        key = keys.ledger(member_id, subject, channel, what)
        item = LedgerItem(key.pk, key.sk, status=CLAIMED, claimed_at=now, expires_at=keep_until)
        condition = LedgerItem.pk.does_not_exist() | (
            (LedgerItem.status == CLAIMED) & (LedgerItem.claimed_at < now - STALE_CLAIM)
        )
        try:
            with conditional(lambda: ClaimHeldError("Being sent, or its sender died; retry later.")):
                item.save(condition=condition)
        except ClaimHeldError:
            if self._status(key) == SENT:
                raise AlreadySentError("Already sent.") from None
            raise
        return item

    @staticmethod
    def _status(key: keys.Key) -> str | None:
        with dependency():
            try:
                return LedgerItem.get(key.pk, key.sk, consistent_read=True).status
            except LedgerItem.DoesNotExist:
                return None

    def mark_sent(self, item: LedgerItem, now: datetime) -> None:
        bind()
        with dependency():
            item.update(actions=[LedgerItem.status.set(SENT), LedgerItem.sent_at.set(now)])

    def release(self, item: LedgerItem) -> None:
        """Give a claim back after a failed send, so the retry can take it."""
        bind()
        with dependency():
            item.delete(condition=LedgerItem.status == CLAIMED)

    def known(self, wanted: list[keys.Key]) -> set[keys.Key]:
        """Which of `wanted` the ledger holds (claimed or sent), in BatchGetItems of a hundred."""
        if not wanted:
            return set()
        bind()
        with dependency():
            found = LedgerItem.batch_get([(key.pk, key.sk) for key in set(wanted)])
            return {keys.Key(item.pk, item.sk) for item in found if isinstance(item, LedgerItem)}

    def forget_member(self, member_id: str) -> None:
        """Erase a member's ledger (what was sent to them and when)."""
        bind()
        with dependency():
            found = list(LedgerItem.query(keys.member_ledger(member_id)))
            with HearthItem.batch_write() as batch:
                for item in found:
                    batch.delete(item)


class ReminderStateRepository:
    def get(self) -> ReminderStateItem:
        bind()
        key = keys.REMINDER_STATE
        with dependency():
            try:
                return ReminderStateItem.get(key.pk, key.sk, consistent_read=True)
            except ReminderStateItem.DoesNotExist:
                return ReminderStateItem(key.pk, key.sk)

    def advance(self, watermark: datetime, planned: dict[str, str] | None = None) -> bool:
        """Move the watermark forward (never back), with what the pace is planned up to; False if
        another sweep got further."""
        extra: list[Action] = [ReminderStateItem.sweeps.add(1)]
        if planned:
            extra.append(ReminderStateItem.planned.set(planned))
        return self._forward(ReminderStateItem.watermark, watermark, extra)

    def recheck(self, until: datetime) -> None:
        """Due time before `until` needs no more reading again (never moved back)."""
        self._forward(ReminderStateItem.rechecked, until, [])

    @staticmethod
    def _forward(attribute: UTCDateTimeAttribute, instant: datetime, extra: list[Action]) -> bool:
        bind()
        key = keys.REMINDER_STATE
        item = ReminderStateItem(key.pk, key.sk)
        try:
            with conditional(lambda: ConflictError("behind")):
                item.update(
                    actions=[ReminderStateItem.kind.set(ReminderStateItem), attribute.set(instant), *extra],
                    condition=attribute.does_not_exist() | (attribute < instant),
                )
        except ConflictError:
            return False
        return True

    def use_leads(self, leads: set[int]) -> None:
        """Record lead times members use, so the sweep looks for them."""
        bind()
        key = keys.REMINDER_STATE
        with dependency():
            ReminderStateItem(key.pk, key.sk).update(
                actions=[ReminderStateItem.kind.set(ReminderStateItem), ReminderStateItem.leads.add(leads)]
            )
