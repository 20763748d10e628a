"""Memberships: a member's handle, preferences and sealed contact details in one group.

Contact details are stored only sealed (`*_enc`) with a keyed blind index
(`*_hash`); the phone's index is also the `gsi2` key so inbound SMS find every
membership of a number without ever storing the number in the clear.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import suppress

from pynamodb.attributes import (
    BinaryAttribute,
    JSONAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action

from chalicelib.errors import ConflictError, NotFoundError
from chalicelib.store import keys
from chalicelib.store.base import conditional, dependency
from chalicelib.store.tables import HearthItem, bind

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

    def by_phone(self, phone_hash: str) -> list[MemberItem]:
        bind()
        with dependency():
            return [
                item
                for item in MemberItem.gsi2.query(keys.phone_index(phone_hash))
                if isinstance(item, MemberItem)
            ]

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
