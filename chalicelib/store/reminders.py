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

from pynamodb.attributes import NumberAttribute, NumberSetAttribute, UnicodeAttribute, UTCDateTimeAttribute

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
    leads = NumberSetAttribute(null=True)
    sweeps = NumberAttribute(default=0)


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

    def advance(self, watermark: datetime) -> bool:
        """Move the watermark forward (never back); False if another sweep got further."""
        bind()
        key = keys.REMINDER_STATE
        item = ReminderStateItem(key.pk, key.sk)
        try:
            with conditional(lambda: ConflictError("behind")):
                item.update(
                    actions=[
                        ReminderStateItem.kind.set(ReminderStateItem),
                        ReminderStateItem.watermark.set(watermark),
                        ReminderStateItem.sweeps.add(1),
                    ],
                    condition=ReminderStateItem.watermark.does_not_exist()
                    | (ReminderStateItem.watermark < watermark),
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
