"""Two-way SMS state: handled inbound messages, opt-outs, and one-time sign-in links.

An opt-out is stored by the keyed hash of the number and never expires: it
outlives the memberships (and their erasure). Each change records the time of
the message that caused it, and only a newer message may change it again, so
STOP and START delivered out of order never resurrect a subscription.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pynamodb.attributes import BinaryAttribute, BooleanAttribute, UnicodeAttribute, UTCDateTimeAttribute

from chalicelib.errors import ConflictError, GoneError
from chalicelib.store import keys
from chalicelib.store.base import conditional, dependency
from chalicelib.store.tables import HearthItem, bind

INBOUND_KEPT = timedelta(days=7)
LOGIN_LIFETIME = timedelta(hours=24)


class InboundItem(HearthItem, discriminator="inbound_sms"):
    pass


class OptOutItem(HearthItem, discriminator="opt_out"):
    opted_out = BooleanAttribute()
    changed_at = UTCDateTimeAttribute()


class LoginItem(HearthItem, discriminator="login"):
    group_id = UnicodeAttribute()
    member_id = UnicodeAttribute()
    token_enc = BinaryAttribute(legacy_encoding=False)


class DuplicateMessageError(ConflictError):
    code = "duplicate_message"


class SmsRepository:
    def first_delivery(self, message_id: str, now: datetime) -> None:
        """Record an inbound message; `DuplicateMessageError` if it was handled before."""
        bind()
        key = keys.inbound_sms(message_id)
        item = InboundItem(key.pk, key.sk, expires_at=now + INBOUND_KEPT)
        with conditional(lambda: DuplicateMessageError("Already handled.")):
            item.save(condition=InboundItem.pk.does_not_exist())

    def set_opt_out(self, phone_hash: str, opted_out: bool, at: datetime) -> bool:
        """Apply STOP or START sent at `at`; True only when it changed the number's state.

        A message older than the last one applied changes nothing; a repeated STOP records
        its time (so a START sent before it and delivered late stays ignored) but is no change.
        """
        bind()
        key = keys.opt_out(phone_hash)
        with dependency():
            try:
                before: bool | None = bool(OptOutItem.get(key.pk, key.sk, consistent_read=True).opted_out)
            except OptOutItem.DoesNotExist:
                before = None
        item = OptOutItem(key.pk, key.sk, opted_out=opted_out, changed_at=at)
        try:
            with conditional(lambda: ConflictError("stale")):
                item.save(condition=OptOutItem.pk.does_not_exist() | (OptOutItem.changed_at < at))
        except ConflictError:
            return False
        return before != opted_out

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
