"""Two-way SMS state: handled inbound messages, opt-outs, and one-time sign-in links.

An opt-out is stored by the keyed hash of the number and never expires: it
outlives the memberships (and their erasure). Each change records the time of
the message that caused it, and only a newer message may change it again, so
STOP and START delivered out of order never resurrect a subscription.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from pynamodb.attributes import BinaryAttribute, BooleanAttribute, UnicodeAttribute, UTCDateTimeAttribute

from chalicelib.errors import ConflictError, DependencyError, GoneError
from chalicelib.store import keys
from chalicelib.store.base import conditional, dependency
from chalicelib.store.tables import HearthItem, bind

INBOUND_KEPT = timedelta(days=7)
CLAIM_LEASE = timedelta(minutes=2)  # longer than the SMS handler's timeout
CLAIMED = "claimed"
DONE = "done"
LOGIN_LIFETIME = timedelta(hours=24)


class InboundItem(HearthItem, discriminator="inbound_sms"):
    state = UnicodeAttribute(null=True)  # "claimed" while handled, "done" after its replies
    lease_until = UTCDateTimeAttribute(null=True)


class OptOutItem(HearthItem, discriminator="opt_out"):
    opted_out = BooleanAttribute()
    changed_at = UTCDateTimeAttribute()
    changed_by = UnicodeAttribute(null=True)  # the inbound message that last changed the state


class LoginItem(HearthItem, discriminator="login"):
    group_id = UnicodeAttribute()
    member_id = UnicodeAttribute()
    token_enc = BinaryAttribute(legacy_encoding=False)


class DuplicateMessageError(ConflictError):
    code = "duplicate_message"


class MessageInProgressError(DependencyError):
    """Another delivery of this message is being handled now; retry later (SNS redelivers)."""


@dataclass(frozen=True)
class OptOutChange:
    applies: bool  # this message is the latest word on the number: its members follow it
    changed: bool  # this message changed the number's state (it earns the one confirmation)


class SmsRepository:
    def claim(self, message_id: str, now: datetime) -> None:
        """Start handling an inbound message: `DuplicateMessageError` if it was handled before,
        `MessageInProgressError` if another delivery holds it. A claim whose handler died
        lapses after `CLAIM_LEASE`, so the message is handled again, never dropped."""
        bind()
        key = keys.inbound_sms(message_id)
        item = InboundItem(
            key.pk, key.sk, state=CLAIMED, lease_until=now + CLAIM_LEASE, expires_at=now + INBOUND_KEPT
        )
        try:
            with conditional(lambda: ConflictError("held")):
                item.save(
                    condition=InboundItem.pk.does_not_exist()
                    | ((InboundItem.state == CLAIMED) & (InboundItem.lease_until < now))
                )
        except ConflictError:
            with dependency():
                try:
                    found = InboundItem.get(key.pk, key.sk, consistent_read=True)
                except InboundItem.DoesNotExist:
                    raise MessageInProgressError() from None
            if found.state == CLAIMED:
                raise MessageInProgressError() from None
            raise DuplicateMessageError("Already handled.") from None

    def handled(self, message_id: str) -> None:
        """Record that the message's effect and replies are done (after them, never before)."""
        bind()
        key = keys.inbound_sms(message_id)
        with dependency():
            InboundItem(key.pk, key.sk).update(
                actions=[InboundItem.state.set(DONE), InboundItem.lease_until.remove()]
            )

    def unclaim(self, message_id: str) -> None:
        """Give a claim back after a failure, so the redelivery need not wait for the lease."""
        bind()
        key = keys.inbound_sms(message_id)
        try:
            with conditional(lambda: ConflictError("not held")):
                InboundItem(key.pk, key.sk).delete(condition=InboundItem.state == CLAIMED)
        except (ConflictError, DependencyError):
            pass  # the lease lapses instead

    def set_opt_out(self, phone_hash: str, opted_out: bool, at: datetime, message_id: str) -> OptOutChange:
        """Apply STOP or START sent at `at`, once per message however often it is delivered.

        A message older than the last one applied changes nothing; a repeated STOP records
        its time (so a START sent before it and delivered late stays ignored) but is no change;
        a redelivery of the message that made the change still counts as that change.
        """
        bind()
        key = keys.opt_out(phone_hash)
        with dependency():
            try:
                before: OptOutItem | None = OptOutItem.get(key.pk, key.sk, consistent_read=True)
            except OptOutItem.DoesNotExist:
                before = None
        if before is not None and before.changed_by == message_id:
            return OptOutChange(applies=True, changed=True)
        changed = before is None or bool(before.opted_out) != opted_out
        item = OptOutItem(
            key.pk, key.sk, opted_out=opted_out, changed_at=at, changed_by=message_id if changed else None
        )
        if not changed and before is not None:
            item.changed_by = before.changed_by
        try:
            with conditional(lambda: ConflictError("stale")):
                item.save(condition=OptOutItem.pk.does_not_exist() | (OptOutItem.changed_at < at))
        except ConflictError:
            return OptOutChange(applies=False, changed=False)
        return OptOutChange(applies=True, changed=changed)

    def opted_out(self, phone_hash: str) -> bool:
        bind()
        key = keys.opt_out(phone_hash)
        with dependency():
            try:
                return bool(OptOutItem.get(key.pk, key.sk, consistent_read=True).opted_out)
            except OptOutItem.DoesNotExist:
                return False

    def create_login(
        self, token_hash: str, group_id: str, member_id: str, token_enc: bytes, now: datetime
    ) -> None:
        bind()
        key = keys.login(token_hash)
        with dependency():
            LoginItem(
                key.pk,
                key.sk,
                group_id=group_id,
                member_id=member_id,
                token_enc=token_enc,
                expires_at=now + LOGIN_LIFETIME,
            ).save()

    def use_login(self, token_hash: str, now: datetime) -> LoginItem:
        """Consume a sign-in link once; `GoneError` if it is unknown, used or expired."""
        bind()
        key = keys.login(token_hash)
        gone = GoneError("This sign-in link has expired or was used.")
        with dependency():
            try:
                item = LoginItem.get(key.pk, key.sk, consistent_read=True)
            except LoginItem.DoesNotExist:
                raise gone from None
        if item.expires_at is None or item.expires_at <= now:
            raise gone
        with conditional(lambda: gone):  # only one of two racing clicks wins
            item.delete(condition=LoginItem.pk.exists())
        return item
