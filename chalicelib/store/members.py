"""Memberships: a member's handle, preferences and sealed contact details in one group.

Contact details are stored only sealed (`*_enc`) with a keyed blind index
(`*_hash`); the phone's index is also the `gsi2` key so inbound SMS find every
membership of a number without ever storing the number in the clear, and the email's is the
`gsi1` key so SES's bounces and complaints find every membership of an address.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextlib import suppress
from datetime import datetime
from typing import Any

from pynamodb.attributes import (
    BinaryAttribute,
    JSONAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.exceptions import PynamoDBException, TransactWriteError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from chalicelib.errors import ConflictError, DependencyError, GoneError, HearthError, NotFoundError
from chalicelib.store import keys
from chalicelib.store.base import CONDITION_CODES, conditional, dependency
from chalicelib.store.groups import (
    GroupItem,
    InviteItem,
    admission,
    admit_actions,
    release_actions,
    usable,
)
from chalicelib.store.tables import HearthItem, bind, connection

ACTIVE = "active"
REMOVED = "removed"


class MemberItem(HearthItem, discriminator="member"):
    member_id = UnicodeAttribute()
    group_id = UnicodeAttribute()
    handle = UnicodeAttribute()
    handle_key = UnicodeAttribute()
    timezone = UnicodeAttribute()
    reminders = JSONAttribute(null=True)
    status = UnicodeAttribute(default=ACTIVE)
    token_hash = UnicodeAttribute()
    feed_hash = UnicodeAttribute()
    feed_enc = BinaryAttribute(legacy_encoding=False)
    muted_until = UTCDateTimeAttribute(null=True)
    phone_changed_at = UTCDateTimeAttribute(null=True)  # sent time of the SMS that last set phone_status

    phone_enc = BinaryAttribute(null=True, legacy_encoding=False)
    phone_hash = UnicodeAttribute(null=True)
    phone_status = UnicodeAttribute(null=True)
    phone_code_hash = UnicodeAttribute(null=True)
    phone_code_expires = UTCDateTimeAttribute(null=True)
    phone_code_tries = NumberAttribute(null=True)

    email_enc = BinaryAttribute(null=True, legacy_encoding=False)
    email_hash = UnicodeAttribute(null=True)
    email_status = UnicodeAttribute(null=True)
    email_code_hash = UnicodeAttribute(null=True)
    email_code_expires = UTCDateTimeAttribute(null=True)
    email_code_tries = NumberAttribute(null=True)


class PhoneMembershipItem(HearthItem, discriminator="phone_membership"):
    """One phone, one membership per group: the condition two concurrent JOINs meet."""

    group_id = UnicodeAttribute()
    member_id = UnicodeAttribute()


class AlreadyMemberError(ConflictError):
    """This phone already holds a membership in the group (`member_id`)."""

    code = "already_member"

    def __init__(self, member_id: str | None) -> None:
        super().__init__("This phone already belongs to a member of this group.")
        self.member_id = member_id


class FeedItem(HearthItem, discriminator="feed"):
    group_id = UnicodeAttribute()
    member_id = UnicodeAttribute()


def contact_attributes(channel: str) -> dict[str, object]:
    """The attributes that hold one channel's contact details (for updates and erasure)."""
    prefix = "phone" if channel == "sms" else "email"
    return {
        name: getattr(MemberItem, f"{prefix}_{name}")
        for name in ("enc", "hash", "status", "code_hash", "code_expires", "code_tries")
    }


class MemberRepository:
    def new_item(self, group_id: str, member_id: str, **attributes: object) -> MemberItem:
        key = keys.member(group_id, member_id)
        return MemberItem(key.pk, key.sk, group_id=group_id, member_id=member_id, **attributes)

    def feed_item(self, feed_hash: str, group_id: str, member_id: str) -> FeedItem:
        key = keys.feed(feed_hash)
        return FeedItem(key.pk, key.sk, group_id=group_id, member_id=member_id)

    def create(self, items: Iterable[HearthItem]) -> None:
        """Write a new membership with its credentials (fresh random keys: no race)."""
        bind()
        with dependency(), HearthItem.batch_write() as batch:
            for item in items:
                batch.save(item)

    def enrol(
        self,
        *,
        code: str,
        now: datetime,
        ceiling: int,
        member: MemberItem,
        others: Iterable[HearthItem],
        refused: Callable[[int], HearthError],
    ) -> None:
        """Join in one transaction: an invite use, a seat and a handle, the membership and its
        credentials, and (for a phone) the phone's one membership in the group. All or nothing,
        so a failure leaves no residue to undo; `refused(index)` explains a failed condition
        (0 the invite, 1 the group); a phone already in the group raises `AlreadyMemberError`.
        """
        bind()
        invite_key, group_key = keys.invite(code), keys.group(member.group_id)
        phone_hash = member.phone_hash
        items = [member, *others]
        try:
            with TransactWrite(connection=connection()) as transaction:
                transaction.update(
                    InviteItem(invite_key.pk, invite_key.sk), [InviteItem.uses.add(1)], usable(now)
                )
                transaction.update(
                    GroupItem(group_key.pk, group_key.sk),
                    admit_actions(member.handle_key),
                    admission(member.handle_key, ceiling, phone_hash),
                )
                for item in items:
                    transaction.save(item, condition=HearthItem.pk.does_not_exist())
                if phone_hash is not None:
                    key = keys.phone_membership(phone_hash, member.group_id)
                    transaction.save(
                        PhoneMembershipItem(
                            key.pk, key.sk, group_id=member.group_id, member_id=member.member_id
                        ),
                        condition=PhoneMembershipItem.pk.does_not_exist(),
                    )
        except TransactWriteError as exc:
            failed = [
                i for i, r in enumerate(exc.cancellation_reasons or []) if r and r.code in CONDITION_CODES
            ]
            if not failed:
                raise DependencyError() from exc
            # PynamoDB sends puts before updates: [member, credentials..., phone?, invite, group]
            puts = len(items) + (phone_hash is not None)
            if phone_hash is not None and len(items) in failed:
                raise AlreadyMemberError(self.phone_member(phone_hash, member.group_id)) from exc
            updates = [index - puts for index in failed if index >= puts]
            if not updates:
                raise ConflictError("Joining collided with another; try again.") from exc
            raise refused(updates[0]) from exc
        except PynamoDBException as exc:
            raise DependencyError() from exc

    def phone_member(self, phone_hash: str, group_id: str) -> str | None:
        """The member id this phone holds in the group, if any."""
        bind()
        key = keys.phone_membership(phone_hash, group_id)
        with dependency():
            try:
                return PhoneMembershipItem.get(key.pk, key.sk, consistent_read=True).member_id
            except PhoneMembershipItem.DoesNotExist:
                return None

    def erase(self, member: MemberItem, others: Iterable[HearthItem]) -> None:
        """Delete a membership, its credentials and its phone's place, and free its seat, in one
        transaction: a failure changes nothing and the retry does it all; a retry after success
        finds no membership (404)."""
        bind()
        group_key = keys.group(member.group_id)
        gone = NotFoundError("No such member in this group.")
        with conditional(lambda: gone), TransactWrite(connection=connection()) as transaction:
            transaction.delete(member, condition=MemberItem.pk.exists())
            for item in others:
                transaction.delete(item)
            if member.phone_hash:
                key = keys.phone_membership(member.phone_hash, member.group_id)
                transaction.delete(PhoneMembershipItem(key.pk, key.sk))
            transaction.update(
                GroupItem(group_key.pk, group_key.sk),
                release_actions(member.handle_key),
                GroupItem.pk.exists(),
            )

    def get(self, group_id: str, member_id: str) -> MemberItem | None:
        bind()
        key = keys.member(group_id, member_id)
        with dependency():
            try:
                return MemberItem.get(key.pk, key.sk)
            except MemberItem.DoesNotExist:
                return None

    def many(self, group_id: str, member_ids: Iterable[str]) -> dict[str, MemberItem]:
        """Memberships of one group by id, in one BatchGetItem; missing ones are absent."""
        wanted = {member_id: keys.member(group_id, member_id) for member_id in member_ids}
        if not wanted:
            return {}
        bind()
        with dependency():
            found = MemberItem.batch_get([(key.pk, key.sk) for key in wanted.values()])
            return {item.member_id: item for item in found if isinstance(item, MemberItem)}

    def update(self, item: MemberItem, actions: list[Action], condition: Condition | None = None) -> None:
        """Apply `actions` to an existing membership; 409 if `condition` no longer holds."""
        bind()
        guard = MemberItem.pk.exists() if condition is None else (MemberItem.pk.exists() & condition)
        with conditional(lambda: ConflictError("Your details changed meanwhile; try again.")):
            item.update(actions=actions, condition=guard)

    def contact_unusable(self, item: MemberItem, channel: str, status: str) -> None:
        """A provider refused this member's verified contact for good: set its status (`opted_out`,
        or `pending` to verify again). A change made meanwhile (a new address, a START) wins."""
        attribute, address = (
            (MemberItem.phone_status, MemberItem.phone_hash)
            if channel == "sms"
            else (MemberItem.email_status, MemberItem.email_hash)
        )
        current = item.phone_hash if channel == "sms" else item.email_hash
        with suppress(ConflictError):
            self.update(item, [attribute.set(status)], (attribute == "verified") & (address == current))

    def phone_status_from_sms(self, member: MemberItem, status: str, at: datetime, only_if: set[str]) -> None:
        """Set the phone's status as an SMS sent at `at` says (STOP, START), if that SMS is not older
        than the last one applied and the status is one of `only_if`: out-of-order deliveries of
        one person's texts end in the state of the latest, whatever order they are handled in."""
        bind()
        condition = (
            MemberItem.pk.exists()
            & MemberItem.phone_status.is_in(*only_if)
            & (MemberItem.phone_changed_at.does_not_exist() | (MemberItem.phone_changed_at <= at))
        )
        try:
            with conditional(lambda: ConflictError("stale")):
                member.update(
                    actions=[MemberItem.phone_status.set(status), MemberItem.phone_changed_at.set(at)],
                    condition=condition,
                )
        except ConflictError:
            pass  # a later text decided, or the status is not one this text changes

    def spend_try(self, item: MemberItem, channel: str, now: datetime) -> int:
        """Use one try of the pending code on `channel`, atomically; the tries left after it.

        Every guess, right or wrong, spends its try before it is compared, so concurrent
        guesses can never make more than the code's tries between them. `GoneError` when the
        code is used up, expired or gone.
        """
        bind()
        attributes = contact_attributes(channel)
        tries, expires = attributes["code_tries"], attributes["code_expires"]
        prefix = "phone" if channel == "sms" else "email"
        condition = MemberItem.pk.exists() & (tries > 0) & (expires > now)
        gone = GoneError("This code has expired; ask for a new one.", code="code_expired")
        with conditional(lambda: gone):
            item.update(actions=[tries.add(-1)], condition=condition)
        return int(getattr(item, f"{prefix}_code_tries") or 0)

    def by_phone(self, phone_hash: str) -> list[MemberItem]:
        return self._indexed(MemberItem.gsi2, keys.phone_index(phone_hash))

    def by_email(self, email_hash: str) -> list[MemberItem]:
        return self._indexed(MemberItem.gsi1, keys.email_index(email_hash))

    @staticmethod
    def _indexed(index: Any, partition: str) -> list[MemberItem]:
        """Every membership under one index partition (other item types there are skipped)."""
        bind()
        with dependency():
            return [item for item in index.query(partition) if isinstance(item, MemberItem)]

    def feed(self, feed_hash: str) -> FeedItem | None:
        bind()
        key = keys.feed(feed_hash)
        with dependency():
            try:
                return FeedItem.get(key.pk, key.sk)
            except FeedItem.DoesNotExist:
                return None

    def delete(self, items: Iterable[HearthItem]) -> None:
        bind()
        with dependency(), HearthItem.batch_write() as batch:
            for item in items:
                batch.delete(item)

    def require(self, group_id: str, member_id: str) -> MemberItem:
        found = self.get(group_id, member_id)
        if found is None:
            raise NotFoundError("No such member in this group.")
        return found
