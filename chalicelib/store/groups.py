"""Groups, their facilitators, and invites.

The group item is the one place that guards membership invariants: its
`member_count` (under `max_members`), the set of taken handle keys and the blind
indexes of removed members' phones all live on it, so a single conditional
UpdateItem admits a member or refuses, with real atomicity and no transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.expressions.condition import Condition, size
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from chalicelib.domain.invites import Invite
from chalicelib.errors import ConflictError, ForbiddenError, GoneError, HearthError, NotFoundError
from chalicelib.store import keys
from chalicelib.store.base import conditional, dependency
from chalicelib.store.tables import HearthItem, bind, connection


class GroupItem(HearthItem, discriminator="group"):
    group_id = UnicodeAttribute()
    name = UnicodeAttribute()
    topic = UnicodeAttribute()
    description = UnicodeAttribute(default="")
    timezone = UnicodeAttribute()
    access = UnicodeAttribute()
    listed = BooleanAttribute(default=False)
    max_members = NumberAttribute(null=True)
    member_count = NumberAttribute(default=0)
    session_label = UnicodeAttribute()
    standing_code = UnicodeAttribute(null=True)
    facilitator_ids = UnicodeSetAttribute(default=set)
    handle_keys = UnicodeSetAttribute(null=True)
    banned_phones = UnicodeSetAttribute(null=True)


class StaffItem(HearthItem, discriminator="staff"):
    group_id = UnicodeAttribute()
    facilitator_id = UnicodeAttribute()
    display_name = UnicodeAttribute()


class InviteItem(HearthItem, discriminator="invite"):
    code = UnicodeAttribute()
    group_id = UnicodeAttribute()
    expires = UTCDateTimeAttribute(null=True)
    max_uses = NumberAttribute(null=True)
    uses = NumberAttribute(default=0)
    revoked = BooleanAttribute(default=False)
    standing = BooleanAttribute(default=False)
    created_by = UnicodeAttribute()

    def to_domain(self) -> Invite:
        return Invite(
            code=self.code,
            group_id=self.group_id,
            expires_at=self.expires,
            max_uses=None if self.max_uses is None else int(self.max_uses),
            uses=int(self.uses or 0),
            revoked=bool(self.revoked),
            standing=bool(self.standing),
        )


def listing_keys(item: GroupItem, name_key: str) -> None:
    """Set or clear the directory index attributes to match `listed`."""
    if item.listed:
        item.gsi1pk = keys.LISTED
        item.gsi1sk = keys.group_sort(name_key, item.group_id)
        item.gsi2pk = keys.listed_topic(item.topic)
        item.gsi2sk = keys.group_sort(name_key, item.group_id)
    else:
        item.gsi1pk = item.gsi1sk = item.gsi2pk = item.gsi2sk = None


def admission(handle_key: str, ceiling: int, phone_hash: str | None) -> Condition:
    """A seat is free (under `max_members` and `ceiling`), the handle too, and the phone not barred."""
    condition = (
        GroupItem.pk.exists()
        & (GroupItem.member_count < ceiling)
        & (GroupItem.max_members.does_not_exist() | (GroupItem.member_count < GroupItem.max_members))
        & ~GroupItem.handle_keys.contains(handle_key)
    )
    if phone_hash is not None:
        condition &= ~GroupItem.banned_phones.contains(phone_hash)
    return condition


def admit_actions(handle_key: str) -> list[Action]:
    return [GroupItem.member_count.add(1), GroupItem.handle_keys.add({handle_key})]


def release_actions(handle_key: str) -> list[Action]:
    return [GroupItem.member_count.add(-1), GroupItem.handle_keys.delete({handle_key})]


def usable(now: datetime) -> Condition:
    """An invite that exists, is not revoked or expired, and has uses left."""
    return (
        InviteItem.pk.exists()
        & (InviteItem.revoked == False)  # noqa: E712 (a DynamoDB condition, not a comparison)
        & (InviteItem.expires.does_not_exist() | (InviteItem.expires > now))
        & (InviteItem.max_uses.does_not_exist() | (InviteItem.uses < InviteItem.max_uses))
    )


class GroupRepository:
    def new_item(self, **attributes: Any) -> GroupItem:
        key = keys.group(attributes["group_id"])
        return GroupItem(key.pk, key.sk, **attributes)

    def staff_item(self, group_id: str, facilitator_id: str, display_name: str) -> StaffItem:
        key = keys.staff(group_id, facilitator_id)
        return StaffItem(
            key.pk,
            key.sk,
            group_id=group_id,
            facilitator_id=facilitator_id,
            display_name=display_name,
            gsi1pk=keys.facilitator_groups(facilitator_id),
            gsi1sk=group_id,
        )

    def create(self, group: GroupItem, others: Iterable[HearthItem]) -> None:
        """Write a new group with its staff and invite items (fresh random keys: no race)."""
        bind()
        with dependency(), HearthItem.batch_write() as batch:
            batch.save(group)
            for item in others:
                batch.save(item)

    def add_staff(self, group: GroupItem, staff: StaffItem) -> None:
        bind()
        with dependency():
            staff.save()
            group.update(actions=[GroupItem.facilitator_ids.add({staff.facilitator_id})])

    def remove_staff(self, group_id: str, facilitator_id: str) -> None:
        """Take a facilitator off a group, in one transaction; never the group's last one.

        404 when they do not run it, 409 (`last_facilitator`) when they are its only one.
        """
        bind()
        key = keys.group(group_id)
        staff_key = keys.staff(group_id, facilitator_id)
        condition = GroupItem.facilitator_ids.contains(facilitator_id) & (size(GroupItem.facilitator_ids) > 1)
        with (
            conditional(lambda: self._staff_refusal(group_id, facilitator_id)),
            TransactWrite(connection=connection()) as tx,
        ):
            tx.update(
                GroupItem(key.pk, key.sk),
                actions=[GroupItem.facilitator_ids.delete({facilitator_id})],
                condition=condition,
            )
            tx.delete(StaffItem(staff_key.pk, staff_key.sk))

    def _staff_refusal(self, group_id: str, facilitator_id: str) -> HearthError:
        current = self.get(group_id, consistent=True)
        if current is None or facilitator_id not in (current.facilitator_ids or set()):
            return NotFoundError("This facilitator does not run this group.")
        return ConflictError("A group needs at least one facilitator.", code="last_facilitator")

    def staff(self, group_id: str) -> list[StaffItem]:
        """The group's facilitators (one Query on the staff items alone)."""
        bind()
        key = keys.staff(group_id, "")
        with dependency():
            found = StaffItem.query(key.pk, StaffItem.sk.startswith(key.sk))
            return [item for item in found if isinstance(item, StaffItem)]

    def get(self, group_id: str, consistent: bool = False) -> GroupItem | None:
        bind()
        key = keys.group(group_id)
        with dependency():
            try:
                return GroupItem.get(key.pk, key.sk, consistent_read=consistent)
            except GroupItem.DoesNotExist:
                return None

    def save(self, item: GroupItem) -> None:
        bind()
        with dependency():
            item.save()

    def update(self, item: GroupItem, actions: list[Action], condition: Condition | None = None) -> None:
        bind()
        with conditional(lambda: ConflictError("The group changed; try again.")):
            item.update(actions=actions, condition=condition)

    def listed(self, topic: str | None) -> list[GroupItem]:
        bind()
        with dependency():
            if topic is None:
                return list(GroupItem.gsi1.query(keys.LISTED))
            return list(GroupItem.gsi2.query(keys.listed_topic(topic)))

    def facilitated_by(self, facilitator_id: str) -> list[GroupItem]:
        """The groups a facilitator runs: their staff entries (one index Query), then the groups.

        The index is eventually consistent, so each group is kept only if it still names them.
        """
        bind()
        with dependency():
            staff = [
                item
                for item in StaffItem.gsi1.query(keys.facilitator_groups(facilitator_id))
                if isinstance(item, StaffItem)
            ]
            wanted = [(keys.group(item.group_id).pk, keys.group(item.group_id).sk) for item in staff]
            found = list(GroupItem.batch_get(wanted)) if wanted else []
        groups = [
            g for g in found if isinstance(g, GroupItem) and facilitator_id in (g.facilitator_ids or set())
        ]
        return sorted(groups, key=lambda g: (g.name.casefold(), g.group_id))

    def roster(self, group_id: str) -> list[HearthItem]:
        """The group item, its staff and its members, in one Query."""
        bind()
        key = keys.group(group_id)
        with dependency():
            return list(HearthItem.query(key.pk, HearthItem.sk.startswith(keys.ROSTER_PREFIX)))

    def refusal(self, group_id: str, handle_key: str, phone_hash: str | None) -> HearthError:
        current = self.get(group_id, consistent=True)
        if current is None:
            return NotFoundError("This group no longer exists.")
        if phone_hash is not None and phone_hash in (current.banned_phones or set()):
            return ForbiddenError("You were removed from this group.", code="removed")
        if handle_key in (current.handle_keys or set()):
            return ConflictError("That handle is taken in this group.", code="handle_taken")
        return ConflictError("This group is full.", code="group_full")

    def release(self, group_id: str, handle_key: str) -> None:
        """Give back a seat and a handle (a member left, or a join could not finish)."""
        bind()
        key = keys.group(group_id)
        with dependency():
            GroupItem(key.pk, key.sk).update(
                actions=[GroupItem.member_count.add(-1), GroupItem.handle_keys.delete({handle_key})],
                condition=GroupItem.pk.exists(),
            )

    def release_seat(self, group_id: str) -> None:
        """Free a seat but keep the handle taken (a removed member's handle is not reissued)."""
        bind()
        key = keys.group(group_id)
        with dependency():
            GroupItem(key.pk, key.sk).update(
                actions=[GroupItem.member_count.add(-1)], condition=GroupItem.pk.exists()
            )

    def swap_handle(self, group_id: str, old_key: str, new_key: str) -> None:
        """Claim `new_key` (refused if taken), then free `old_key`.

        DynamoDB cannot add to and delete from one set in a single update, so the
        claim comes first: the worst a crash between the two can do is leave the
        old handle reserved, never let two members share one.
        """
        bind()
        key = keys.group(group_id)
        with conditional(lambda: ConflictError("That handle is taken in this group.", code="handle_taken")):
            GroupItem(key.pk, key.sk).update(
                actions=[GroupItem.handle_keys.add({new_key})],
                condition=GroupItem.pk.exists() & ~GroupItem.handle_keys.contains(new_key),
            )
        with dependency():
            GroupItem(key.pk, key.sk).update(actions=[GroupItem.handle_keys.delete({old_key})])

    def ban_phone(self, group_id: str, phone_hash: str) -> None:
        bind()
        key = keys.group(group_id)
        with dependency():
            GroupItem(key.pk, key.sk).update(actions=[GroupItem.banned_phones.add({phone_hash})])


class InviteRepository:
    def new_item(
        self,
        code: str,
        group_id: str,
        created_by: str,
        expires: datetime | None,
        max_uses: int | None,
        standing: bool = False,
    ) -> InviteItem:
        key = keys.invite(code)
        return InviteItem(
            key.pk,
            key.sk,
            code=code,
            group_id=group_id,
            created_by=created_by,
            expires=expires,
            max_uses=max_uses,
            standing=standing,
            gsi1pk=keys.group_invites(group_id),
            gsi1sk=code,
        )

    def create(self, item: InviteItem) -> None:
        bind()
        with conditional(lambda: ConflictError("Invite code collision; try again.")):
            item.save(condition=InviteItem.pk.does_not_exist())

    def get(self, code: str) -> InviteItem | None:
        bind()
        key = keys.invite(code)
        with dependency():
            try:
                return InviteItem.get(key.pk, key.sk)
            except InviteItem.DoesNotExist:
                return None

    def consume(self, code: str, now: datetime) -> InviteItem:
        """Count one use of a usable invite, atomically; 404 unknown, 410 expired or used up."""
        bind()
        key = keys.invite(code)
        item = InviteItem(key.pk, key.sk)
        with conditional(lambda: self.refusal(code)):
            item.update(actions=[InviteItem.uses.add(1)], condition=usable(now))
        return item

    def refusal(self, code: str) -> HearthError:
        if self.get(code) is None:
            return NotFoundError("No group has this invite code.")
        return GoneError("This invite has expired or been used up.")

    def release(self, code: str) -> None:
        bind()
        key = keys.invite(code)
        with dependency():
            InviteItem(key.pk, key.sk).update(
                actions=[InviteItem.uses.add(-1)], condition=InviteItem.pk.exists()
            )

    def for_group(self, group_id: str) -> list[InviteItem]:
        bind()
        with dependency():
            return list(InviteItem.gsi1.query(keys.group_invites(group_id)))

    def revoke(self, item: InviteItem) -> None:
        bind()
        with dependency():
            item.update(actions=[InviteItem.revoked.set(True)])
