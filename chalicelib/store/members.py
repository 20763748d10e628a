"""Memberships: a member's handle, preferences and sealed contact details in one group.

Contact details are stored only sealed (`*_enc`) with a keyed blind index
(`*_hash`); the phone's index is also the `gsi2` key so inbound SMS find every
membership of a number without ever storing the number in the clear, and the email's is the
`gsi1` key so SES's bounces and complaints find every membership of an address.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextlib import suppress
from dataclasses import dataclass
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

from chalicelib.domain.identity import legacy_device_id
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

# A contact channel's status
PENDING = "pending"
VERIFIED = "verified"
OPTED_OUT = "opted_out"


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
    # every signed-in device: {device_id: {"token_hash", "created_at"}}; `devices_rev` counts changes
    devices = JSONAttribute(null=True)
    devices_rev = NumberAttribute(null=True)
    country = UnicodeAttribute(null=True)  # ISO 3166-1 alpha-2 the member chose (else from the zone)
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


def contact_attributes(channel: str) -> dict[str, Any]:
    """The attributes that hold one channel's contact details (for updates and erasure)."""
    prefix = "phone" if channel == "sms" else "email"
    return {
        name: getattr(MemberItem, f"{prefix}_{name}")
        for name in ("enc", "hash", "status", "code_hash", "code_expires", "code_tries")
    }


MAX_DEVICES = 10


def device_tokens(member: MemberItem) -> dict[str, str]:
    """The membership's devices: device id -> token hash (a membership from before devices has
    its one token as its one device)."""
    return {device_id: entry["token_hash"] for device_id, entry in device_entries(member).items()}


def device_entry(token_hash: str, created_at: datetime) -> dict[str, str]:
    return {"token_hash": token_hash, "created_at": created_at.isoformat()}


def device_entries(member: MemberItem) -> dict[str, dict[str, str]]:
    if member.devices is not None:
        return dict(member.devices)
    return {legacy_device_id(member.token_hash): device_entry(member.token_hash, member.created_at)}


def devices_unchanged(member: MemberItem) -> Condition:
    """The device list is still the one `member` was read with (no device added or signed out)."""
    rev: float | None = member.attribute_values.get("devices_rev")  # absent on older memberships
    if rev is None:
        return MemberItem.devices_rev.does_not_exist()
    return MemberItem.devices_rev == rev


class DevicesChangedError(ConflictError):
    """The membership's devices changed between the read and the write: read again and retry."""

    code = "devices_changed"


def _contact_index(channel: str) -> tuple[Any, Any, Callable[[str], str]]:
    """The index that finds a contact's memberships: inbound SMS by phone, SES feedback by email."""
    if channel == "sms":
        return MemberItem.gsi2pk, MemberItem.gsi2sk, keys.phone_index
    return MemberItem.gsi1pk, MemberItem.gsi1sk, keys.email_index


@dataclass(frozen=True)
class NewContact:
    """A contact address given for one channel, sealed and blind-indexed, with its pending code."""

    sealed: bytes
    blind: str
    status: str
    code_hash: str
    code_expires: datetime
    code_tries: int


class MemberRepository:
    def new_item(self, group_id: str, member_id: str, **attributes: Any) -> MemberItem:
        """A membership (not written); a phone's blind index also becomes its `gsi2` key."""
        key = keys.member(group_id, member_id)
        item = MemberItem(key.pk, key.sk, group_id=group_id, member_id=member_id, **attributes)
        if item.phone_hash is not None:
            item.gsi2pk = keys.phone_index(item.phone_hash)
            item.gsi2sk = keys.membership_ref(group_id, member_id)
        return item

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
        finds no membership (404). `others` holds every device's credential: a device signed in
        meanwhile fails the transaction (`DevicesChangedError`), so none outlives the membership."""
        bind()
        group_key = keys.group(member.group_id)

        def failed() -> HearthError:
            if self._current(member) is None:
                return NotFoundError("No such member in this group.")
            return DevicesChangedError("Your devices changed meanwhile; try again.")

        with conditional(failed), TransactWrite(connection=connection()) as transaction:
            transaction.delete(member, condition=MemberItem.pk.exists() & devices_unchanged(member))
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

    def add_device(
        self,
        member: MemberItem,
        device_id: str,
        token_hash: str,
        credential: HearthItem,
        now: datetime,
        login: HearthItem | None = None,
    ) -> None:
        """Sign a new device in, in one transaction: the device on the membership, its credential,
        and the one-time link it used (consumed, so two clicks make one device). `GoneError` when
        the link was used or the membership ended; `DevicesChangedError` when another device
        changed the list meanwhile (read again and retry)."""
        devices = device_entries(member)
        if len(devices) >= MAX_DEVICES:
            raise ConflictError(
                "This membership is signed in on too many devices; sign one out first.",
                code="too_many_devices",
            )
        devices[device_id] = device_entry(token_hash, now)
        bind()

        def failed() -> HearthError:
            if login is not None and not self._exists(login):
                return GoneError("This sign-in link has expired or was used.")
            current = self._current(member)
            if current is None or current.status != ACTIVE:
                return GoneError("This sign-in link has expired or was used.")
            return DevicesChangedError("Your devices changed meanwhile; try again.")

        with conditional(failed), TransactWrite(connection=connection()) as transaction:
            transaction.update(
                member,
                [MemberItem.devices.set(devices), MemberItem.devices_rev.set((member.devices_rev or 0) + 1)],
                condition=MemberItem.pk.exists() & (MemberItem.status == ACTIVE) & devices_unchanged(member),
            )
            transaction.save(credential, condition=HearthItem.pk.does_not_exist())
            if login is not None:
                transaction.delete(login, condition=HearthItem.pk.exists())

    def remove_device(self, member: MemberItem, device_id: str, credential: HearthItem) -> None:
        """Sign one device out: off the membership and its credential deleted, in one transaction."""
        devices = device_entries(member)
        devices.pop(device_id, None)
        bind()
        changed = DevicesChangedError("Your devices changed meanwhile; try again.")
        with conditional(lambda: changed), TransactWrite(connection=connection()) as transaction:
            transaction.update(
                member,
                [MemberItem.devices.set(devices), MemberItem.devices_rev.set((member.devices_rev or 0) + 1)],
                condition=MemberItem.pk.exists() & devices_unchanged(member),
            )
            transaction.delete(credential)

    @staticmethod
    def _current(member: MemberItem) -> MemberItem | None:
        with dependency():
            try:
                return MemberItem.get(member.pk, member.sk, consistent_read=True)
            except MemberItem.DoesNotExist:
                return None

    @staticmethod
    def _exists(item: HearthItem) -> bool:
        with dependency():
            try:
                type(item).get(item.pk, item.sk, consistent_read=True)
            except type(item).DoesNotExist:
                return False
        return True

    def get(self, group_id: str, member_id: str, consistent: bool = False) -> MemberItem | None:
        bind()
        key = keys.member(group_id, member_id)
        with dependency():
            try:
                return MemberItem.get(key.pk, key.sk, consistent_read=consistent)
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

    def active_in(self, memberships: Iterable[tuple[str, str]]) -> dict[tuple[str, str], MemberItem]:
        """Active memberships by (group id, member id), across groups, in BatchGetItem calls."""
        wanted = {keys.member(group_id, member_id) for group_id, member_id in memberships}
        if not wanted:
            return {}
        bind()
        with dependency():
            found = MemberItem.batch_get([(key.pk, key.sk) for key in wanted])
            return {
                (item.group_id, item.member_id): item
                for item in found
                if isinstance(item, MemberItem) and item.status == ACTIVE
            }

    def update(self, item: MemberItem, actions: list[Action], condition: Condition | None = None) -> None:
        """Apply `actions` to an existing membership; 409 if `condition` no longer holds."""
        bind()
        guard = MemberItem.pk.exists() if condition is None else (MemberItem.pk.exists() & condition)
        with conditional(lambda: ConflictError("Your details changed meanwhile; try again.")):
            item.update(actions=list(actions), condition=guard)

    def change_contact(self, item: MemberItem, changes: dict[str, NewContact | None]) -> None:
        """Set (a `NewContact`) or remove (None) the contact details of each channel, in one write,
        with the index that finds the membership by that address."""
        actions: list[Action] = []
        for channel, contact in changes.items():
            attributes = contact_attributes(channel)
            index_pk, index_sk, index_key = _contact_index(channel)
            if contact is None:
                actions += [attribute.remove() for attribute in attributes.values()]
                actions += [index_pk.remove(), index_sk.remove()]
                continue
            actions += [
                attributes["enc"].set(contact.sealed),
                attributes["hash"].set(contact.blind),
                attributes["status"].set(contact.status),
                attributes["code_hash"].set(contact.code_hash),
                attributes["code_expires"].set(contact.code_expires),
                attributes["code_tries"].set(contact.code_tries),
                index_pk.set(index_key(contact.blind)),
                index_sk.set(keys.membership_ref(item.group_id, item.member_id)),
            ]
        if actions:
            self.update(item, actions)

    def contact_verified(self, item: MemberItem, channel: str, code_hash: str) -> None:
        """Mark the pending contact verified and drop its code, if that code is still the one sent."""
        attributes = contact_attributes(channel)
        self.update(
            item,
            [
                attributes["status"].set(VERIFIED),
                attributes["code_hash"].remove(),
                attributes["code_expires"].remove(),
                attributes["code_tries"].remove(),
            ],
            attributes["code_hash"] == code_hash,
        )

    def email_opted_out(self, item: MemberItem, email_hash: str) -> bool:
        """Opt the membership's email out while it still has this address; False if it changed."""
        try:
            self.update(item, [MemberItem.email_status.set(OPTED_OUT)], MemberItem.email_hash == email_hash)
        except ConflictError:
            return False
        return True

    def change_profile(
        self,
        item: MemberItem,
        *,
        timezone: str | None = None,
        reminders: dict[str, Any] | None = None,
        handle: tuple[str, str] | None = None,
        country: str | None = None,
    ) -> None:
        """Change what is given (handle as (display, key)) while the membership is active; 409 if not."""
        actions: list[Action] = []
        if country is not None:
            actions.append(MemberItem.country.set(country))
        if timezone is not None:
            actions.append(MemberItem.timezone.set(timezone))
        if reminders is not None:
            actions.append(MemberItem.reminders.set(reminders))
        if handle is not None:
            actions += [MemberItem.handle.set(handle[0]), MemberItem.handle_key.set(handle[1])]
        if actions:
            self.update(item, actions, MemberItem.status == ACTIVE)

    def set_reminders(self, item: MemberItem, reminders: dict[str, Any]) -> None:
        self.update(item, [MemberItem.reminders.set(reminders)])

    def replace_token(self, item: MemberItem, token_hash: str) -> None:
        """Point the membership at a new bearer token's hash (the credential itself is separate)."""
        self.update(item, [MemberItem.token_hash.set(token_hash)])

    def replace_feed(self, item: MemberItem, feed_hash: str, sealed: bytes) -> None:
        """A new secret calendar feed: its item first, then the membership, then the old item goes.

        A crash between the steps leaves an unused feed item (the membership still names the old
        one, which keeps working) or an old item the membership no longer names (which answers 404).
        """
        old = self.feed_item(item.feed_hash, item.group_id, item.member_id)
        self.create([self.feed_item(feed_hash, item.group_id, item.member_id)])
        self.update(item, [MemberItem.feed_hash.set(feed_hash), MemberItem.feed_enc.set(sealed)])
        self.delete([old])

    def mark_removed(self, item: MemberItem) -> None:
        """A facilitator removed the member: the membership stays (refused everywhere), its contact
        details and its phone's index entry go."""
        wipe = [
            attribute.remove()
            for channel in ("sms", "email")
            for attribute in contact_attributes(channel).values()
        ]
        self.update(
            item,
            [MemberItem.status.set(REMOVED), MemberItem.gsi2pk.remove(), MemberItem.gsi2sk.remove(), *wipe],
            devices_unchanged(item),  # a device signed in meanwhile is refused first, then this is redone
        )

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
