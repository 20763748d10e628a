"""Groups and invites: creating, reading, changing, listing, and who may see them.

Unlisted groups are invisible (404) to everyone but their members and
facilitators; only a group's own facilitators see its invites and manage it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from chalicelib.domain import labels, sms_text
from chalicelib.domain.identity import Caller, Role
from chalicelib.domain.invites import Invite, new_code, normalise_code
from chalicelib.errors import ConflictError, ForbiddenError, GoneError, NotFoundError, ValidationError
from chalicelib.ids import new_id
from chalicelib.settings import get_settings
from chalicelib.store.facilitators import FacilitatorRepository
from chalicelib.store.groups import (
    GroupItem,
    GroupRepository,
    InviteItem,
    InviteRepository,
    StaffItem,
    listing_keys,
)
from chalicelib.store.members import ACTIVE, MemberItem

ACCESS_INVITE = "invite"
ACCESS_OPEN = "open"
DEFAULT_LABEL = "your session"
MEMBER_CEILING = 1000  # keeps the group item (which holds every handle key) small
DEFAULT_INVITE_HOURS = 7 * 24


@dataclass(frozen=True)
class InviteView:
    code: str
    url: str
    sms_text: str
    expires_at: datetime | None
    max_uses: int | None
    uses: int
    active: bool


@dataclass(frozen=True)
class GroupView:
    group_id: str
    name: str
    topic: str
    description: str
    timezone: str
    access: str
    listed: bool
    max_members: int | None
    member_count: int
    session_label: str
    join_code: str | None = None
    next_session: Any = None
    invite: InviteView | None = None


@dataclass(frozen=True)
class InvitePreviewView:
    code: str
    group_id: str
    name: str
    description: str
    topic: str
    full: bool


@dataclass(frozen=True)
class RosterEntry:
    member_id: str
    handle: str
    role: str
    joined_at: datetime | None = None  # these two only for the group's facilitators
    muted_until: datetime | None = None


@dataclass(frozen=True)
class GroupChanges:
    """A partial update; None means "leave as it is" except for `max_members_set`."""

    name: str | None = None
    topic: str | None = None
    description: str | None = None
    timezone: str | None = None
    access: str | None = None
    listed: bool | None = None
    max_members: int | None = None
    max_members_set: bool = False
    session_label: str | None = None


def name_key(name: str) -> str:
    return unicodedata.normalize("NFKC", name).casefold()


def normalise_topic(raw: str) -> str:
    topic = re.sub(r"[^a-z0-9]+", "-", unicodedata.normalize("NFKC", raw).casefold()).strip("-")
    if not 2 <= len(topic) <= 40:
        raise ValidationError({"topic": "Use 2 to 40 letters or digits, such as 'anxiety'."})
    return topic


def check_label(label: str, name: str, topic: str, description: str = "") -> None:
    """A session label is what lock screens show: GSM-7, and giving nothing of the group away."""
    if not sms_text.is_gsm7(label):
        raise ValidationError({"session_label": "Use plain letters, digits and punctuation."})
    problem = labels.label_problem(label, name, topic.replace("-", " "), description)
    if problem is not None:
        raise ValidationError({"session_label": problem})


def invite_view(invite: Invite, now: datetime) -> InviteView:
    base = get_settings().public_base_url
    return InviteView(
        code=invite.code,
        url=f"{base}/j/{invite.code}",
        sms_text=f"JOIN {invite.code}",
        expires_at=invite.expires_at,
        max_uses=invite.max_uses,
        uses=invite.uses,
        active=invite.usable(now),
    )


class GroupService:
    def __init__(
        self,
        groups: GroupRepository | None = None,
        invites: InviteRepository | None = None,
        facilitators: FacilitatorRepository | None = None,
    ) -> None:
        self.groups = groups or GroupRepository()
        self.invites = invites or InviteRepository()
        self.facilitators = facilitators or FacilitatorRepository()
        # The next scheduled session of a group, provided by the sessions service once wired.
        self.upcoming: Callable[[Caller, str], Any] | None = None

    # --- who may see and manage ------------------------------------------------------------

    @staticmethod
    def is_facilitator(caller: Caller, group: GroupItem) -> bool:
        return caller.role is Role.FACILITATOR and caller.subject_id in (group.facilitator_ids or set())

    @staticmethod
    def is_member(caller: Caller, group: GroupItem) -> bool:
        return caller.role is Role.MEMBER and not caller.removed and caller.group_id == group.group_id

    def can_see(self, caller: Caller, group: GroupItem) -> bool:
        return bool(group.listed) or self.is_member(caller, group) or self.is_facilitator(caller, group)

    def visible(self, caller: Caller, group_id: str) -> GroupItem:
        """The group if `caller` may know it exists; 404 otherwise."""
        group = self.groups.get(group_id)
        if group is None or not self.can_see(caller, group):
            raise NotFoundError("No such group.")
        return group

    def managed(self, caller: Caller, group_id: str) -> GroupItem:
        """The group if `caller` is one of its facilitators; 403 if only visible, else 404."""
        group = self.visible(caller, group_id)
        if not self.is_facilitator(caller, group):
            raise ForbiddenError("Only this group's facilitators can do that.")
        return group

    def inside(self, caller: Caller, group_id: str) -> GroupItem:
        """The group if `caller` is one of its members or facilitators; 403 if only visible."""
        return self._require_inside(caller, self.groups.get(group_id))

    def _require_inside(self, caller: Caller, group: GroupItem | None) -> GroupItem:
        if group is None or not self.can_see(caller, group):
            raise NotFoundError("No such group.")
        if not (self.is_member(caller, group) or self.is_facilitator(caller, group)):
            raise ForbiddenError("Only this group's members and facilitators can do that.")
        return group

    # --- views ---------------------------------------------------------------------------

    def view(self, caller: Caller, group: GroupItem, now: datetime | None = None) -> GroupView:
        now = now or datetime.now(UTC)
        invite = None
        if self.is_facilitator(caller, group):
            current = self._current_invite(group)
            invite = None if current is None else invite_view(current.to_domain(), now)
        return GroupView(
            group_id=group.group_id,
            name=group.name,
            topic=group.topic,
            description=group.description or "",
            timezone=group.timezone,
            access=group.access,
            listed=bool(group.listed),
            max_members=None if group.max_members is None else int(group.max_members),
            member_count=int(group.member_count or 0),
            session_label=group.session_label,
            join_code=group.standing_code if group.access == ACCESS_OPEN and group.listed else None,
            next_session=None if self.upcoming is None else self.upcoming(caller, group.group_id),
            invite=invite,
        )

    def _current_invite(self, group: GroupItem) -> InviteItem | None:
        invites = sorted(self.invites.for_group(group.group_id), key=lambda item: item.created_at)
        active = [item for item in invites if item.to_domain().usable(datetime.now(UTC))]
        if group.standing_code:
            standing = [item for item in active if item.code == group.standing_code]
            if standing:
                return standing[0]
        return active[-1] if active else None

    # --- use cases -----------------------------------------------------------------------

    def create(
        self,
        caller: Caller,
        *,
        name: str,
        topic: str,
        description: str,
        timezone: str,
        access: str,
        listed: bool,
        max_members: int | None,
        session_label: str | None,
    ) -> GroupView:
        topic = normalise_topic(topic)
        label = session_label or DEFAULT_LABEL
        check_label(label, name, topic, description)
        if access == ACCESS_OPEN and not listed:
            raise ValidationError({"access": "Open groups must be listed in the directory."})
        facilitator = self.facilitators.get(caller.subject_id or "")
        if facilitator is None:
            raise ForbiddenError("Unknown facilitator.")
        group_id = new_id("grp")
        item = self.groups.new_item(
            group_id=group_id,
            name=name,
            topic=topic,
            description=description,
            timezone=timezone,
            access=access,
            listed=listed,
            max_members=max_members,
            member_count=0,
            session_label=label,
            facilitator_ids={facilitator.facilitator_id},
        )
        listing_keys(item, name_key(name))
        invite = self._new_invite(
            group_id,
            caller,
            expires_in_hours=None if access == ACCESS_OPEN else DEFAULT_INVITE_HOURS,
            max_uses=None,
            standing=access == ACCESS_OPEN,
        )
        if invite.standing:
            item.standing_code = invite.code
        self.groups.create(
            item, [self.groups.staff_item(group_id, facilitator.facilitator_id, facilitator.display_name)]
        )
        return self.view(caller, item)

    def _new_invite(
        self,
        group_id: str,
        caller: Caller,
        *,
        expires_in_hours: int | None,
        max_uses: int | None,
        standing: bool = False,
    ) -> InviteItem:
        expires = None
        if expires_in_hours is not None:
            expires = datetime.now(UTC) + timedelta(hours=expires_in_hours)
        for _attempt in range(5):
            item = self.invites.new_item(
                new_code(), group_id, caller.subject_id or "", expires, max_uses, standing=standing
            )
            try:
                self.invites.create(item)
            except ConflictError:
                continue
            return item
        raise ConflictError("Could not allocate an invite code; try again.")

    def create_invite(
        self,
        caller: Caller,
        group_id: str,
        *,
        expires_in_hours: int | None,
        max_uses: int | None,
        rotate: bool,
    ) -> InviteView:
        group = self.managed(caller, group_id)
        hours = DEFAULT_INVITE_HOURS if expires_in_hours is None else expires_in_hours
        item = self._new_invite(group_id, caller, expires_in_hours=hours, max_uses=max_uses)
        if rotate:
            for old in self.invites.for_group(group_id):
                if old.code != item.code and not old.revoked and old.code != group.standing_code:
                    self.invites.revoke(old)
        return invite_view(item.to_domain(), datetime.now(UTC))

    def list_invites(self, caller: Caller, group_id: str) -> list[InviteView]:
        self.managed(caller, group_id)
        now = datetime.now(UTC)
        items = sorted(self.invites.for_group(group_id), key=lambda item: item.created_at, reverse=True)
        return [invite_view(item.to_domain(), now) for item in items]

    def revoke_invite(self, caller: Caller, group_id: str, code: str) -> None:
        group = self.managed(caller, group_id)
        item = self.invites.get(code)
        if item is None or item.group_id != group_id:
            raise NotFoundError("No such invite in this group.")
        if item.code == group.standing_code:
            raise ConflictError(
                "The open group's standing code cannot be revoked; make the group invite-only."
            )
        self.invites.revoke(item)

    def preview_invite(self, raw_code: str) -> InvitePreviewView:
        """What an invite leads to, before joining, judged by the same rule joining applies."""
        code = normalise_code(raw_code)
        invite = None if code is None else self.invites.get(code)
        if invite is None:
            raise NotFoundError("No group has this invite code.")
        if not invite.to_domain().usable(datetime.now(UTC)):
            raise GoneError("This invite has expired or been used up.")
        group = self.groups.get(invite.group_id)
        if group is None:
            raise NotFoundError("No group has this invite code.")
        seats = None if group.max_members is None else int(group.max_members)
        return InvitePreviewView(
            code=invite.code,
            group_id=group.group_id,
            name=group.name,
            description=group.description or "",
            topic=group.topic,
            full=seats is not None and int(group.member_count or 0) >= seats,
        )

    def session_label(self, group_id: str) -> str:
        group = self.groups.get(group_id)
        return group.session_label if group is not None else DEFAULT_LABEL

    def get(self, caller: Caller, group_id: str) -> GroupView:
        return self.view(caller, self.visible(caller, group_id))

    def facilitated(self, caller: Caller) -> list[GroupView]:
        """Every group the caller facilitates, listed or not, by name."""
        if caller.role is not Role.FACILITATOR or not caller.subject_id:
            raise ForbiddenError("Only facilitators run groups.")
        return [self.view(caller, item) for item in self.groups.facilitated_by(caller.subject_id)]

    def directory(self, caller: Caller, topic: str | None) -> list[GroupView]:
        topic_key = normalise_topic(topic) if topic else None
        return [self.view(caller, item) for item in self.groups.listed(topic_key)]

    def update(self, caller: Caller, group_id: str, changes: GroupChanges) -> GroupView:
        group = self.managed(caller, group_id)
        if changes.topic is not None:
            changes = replace(changes, topic=normalise_topic(changes.topic))
        name = changes.name if changes.name is not None else group.name
        topic = changes.topic if changes.topic is not None else group.topic
        listed = changes.listed if changes.listed is not None else bool(group.listed)
        access = changes.access if changes.access is not None else group.access
        label = changes.session_label if changes.session_label is not None else group.session_label
        description = changes.description if changes.description is not None else group.description or ""
        if changes.session_label is not None or label != DEFAULT_LABEL:
            check_label(label, name, topic, description)
        if access == ACCESS_OPEN and not listed:
            raise ValidationError({"access": "Open groups must be listed in the directory."})

        actions = []
        for field in ("name", "topic", "description", "timezone", "access", "session_label"):
            value = getattr(changes, field)
            if value is not None:
                actions.append(getattr(GroupItem, field).set(value))
        if changes.listed is not None:
            actions.append(GroupItem.listed.set(listed))
        probe = self.groups.new_item(group_id=group_id, topic=topic, listed=listed)
        listing_keys(probe, name_key(name))
        for index in ("gsi1pk", "gsi1sk", "gsi2pk", "gsi2sk"):
            value = getattr(probe, index)
            attribute = getattr(GroupItem, index)
            actions.append(attribute.set(value) if value is not None else attribute.remove())
        condition = None
        if changes.max_members_set:
            if changes.max_members is None:
                actions.append(GroupItem.max_members.remove())
            else:
                actions.append(GroupItem.max_members.set(changes.max_members))
                condition = GroupItem.member_count <= changes.max_members
        if access == ACCESS_OPEN and not group.standing_code:
            standing = self._new_invite(group_id, caller, expires_in_hours=None, max_uses=None, standing=True)
            actions.append(GroupItem.standing_code.set(standing.code))
        elif access == ACCESS_INVITE and group.standing_code:
            standing_item = self.invites.get(group.standing_code)
            if standing_item is not None:
                self.invites.revoke(standing_item)
            actions.append(GroupItem.standing_code.remove())
        try:
            self.groups.update(group, actions, condition)
        except ConflictError as exc:
            if changes.max_members_set:
                raise ConflictError(
                    "The group already has more members than that.", code="too_many_members"
                ) from exc
            raise
        return self.view(caller, group)

    def roster(self, caller: Caller, group_id: str) -> list[RosterEntry]:
        """Handles and roles of a group's active members and its facilitators."""
        items = self.groups.roster(group_id)
        group = next((item for item in items if isinstance(item, GroupItem)), None)
        self._require_inside(caller, group)
        staff_view = group is not None and self.is_facilitator(caller, group)
        entries = []
        for item in items:
            if isinstance(item, StaffItem):
                entries.append(RosterEntry(item.facilitator_id, item.display_name, "facilitator"))
            elif isinstance(item, MemberItem) and item.status == ACTIVE:
                entries.append(
                    RosterEntry(
                        item.member_id,
                        item.handle,
                        "member",
                        joined_at=item.created_at if staff_view else None,
                        muted_until=item.muted_until if staff_view else None,
                    )
                )
        return sorted(entries, key=lambda entry: (entry.role != "facilitator", entry.handle.casefold()))

    def add_facilitator(self, caller: Caller, group_id: str, facilitator_id: str) -> list[RosterEntry]:
        """A group's facilitator shares the group with another facilitator."""
        group = self.managed(caller, group_id)
        other = self.facilitators.get(facilitator_id)
        if other is None:
            raise NotFoundError("No such facilitator.")
        if facilitator_id not in (group.facilitator_ids or set()):
            self.groups.add_staff(group, self.groups.staff_item(group_id, facilitator_id, other.display_name))
        return self.roster(caller, group_id)

    def remove_facilitator(self, caller: Caller, group_id: str, facilitator_id: str) -> None:
        """A group's facilitator takes a facilitator (perhaps themselves) off it; never the last."""
        self.managed(caller, group_id)
        self.groups.remove_staff(group_id, facilitator_id)
