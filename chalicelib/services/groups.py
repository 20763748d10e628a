"""Groups and invites: creating, reading, changing, listing, and who may see them.

Unlisted groups are invisible (404) to everyone but their members and
facilitators; only a group's own facilitators see its invites and manage it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from chalicelib import responses
from chalicelib.domain import labels, sms_text
from chalicelib.domain.identity import Caller, Role
from chalicelib.domain.invites import Invite, new_code, normalise_code
from chalicelib.errors import ConflictError, ForbiddenError, GoneError, NotFoundError, ValidationError
from chalicelib.ids import new_id
from chalicelib.responses import Group, InvitePreview, RosterEntry
from chalicelib.settings import get_settings
from chalicelib.store.facilitators import FacilitatorRepository
from chalicelib.store.groups import (
    KEEP,
    GroupItem,
    GroupRepository,
    InviteItem,
    InviteRepository,
    StaffItem,
)
from chalicelib.store.members import ACTIVE, MemberItem

ACCESS_INVITE = "invite"
ACCESS_OPEN = "open"
DEFAULT_LABEL = "your session"
MEMBER_CEILING = 1000  # keeps the group item (which holds every handle key) small
DEFAULT_INVITE_HOURS = 7 * 24


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


def invite_view(invite: Invite, now: datetime) -> responses.Invite:
    base = get_settings().public_base_url
    return responses.Invite(
        code=invite.code,
        url=f"{base}/j/{invite.code}",
        sms_text=f"JOIN {invite.code}",
        expires_at=invite.expires_at,
        max_uses=invite.max_uses,
        uses=invite.uses,
        active=invite.usable(now),
    )


class Upcoming(Protocol):
    """A group's next scheduled session (`services.sessions.UpcomingSessions`)."""

    def next_session(self, caller: Caller, group_id: str) -> Any: ...


class GroupService:
    def __init__(
        self,
        groups: GroupRepository | None = None,
        invites: InviteRepository | None = None,
        facilitators: FacilitatorRepository | None = None,
        upcoming: Upcoming | None = None,
    ) -> None:
        self.groups = groups or GroupRepository()
        self.invites = invites or InviteRepository()
        self.facilitators = facilitators or FacilitatorRepository()
        self.upcoming = upcoming  # a group view shows its next session when given

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

    def view(self, caller: Caller, group: GroupItem, now: datetime | None = None) -> Group:
        now = now or datetime.now(UTC)
        invite = None
        if self.is_facilitator(caller, group):
            current = self._current_invite(group)
            invite = None if current is None else invite_view(current.to_domain(), now)
        upcoming = None if self.upcoming is None else self.upcoming.next_session(caller, group.group_id)
        return Group(
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
            next_session=upcoming,
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
    ) -> Group:
        topic = normalise_topic(topic)
        label = session_label or DEFAULT_LABEL
        check_label(label, name, topic, description)
        if access == ACCESS_OPEN and not listed:
            raise ValidationError({"access": "Open groups must be listed in the directory."})
        facilitator = self.facilitators.get(caller.subject_id or "")
        if facilitator is None:
            raise ForbiddenError("Unknown facilitator.")
        group_id = new_id("grp")
        invite = self._new_invite(
            group_id,
            caller,
            expires_in_hours=None if access == ACCESS_OPEN else DEFAULT_INVITE_HOURS,
            max_uses=None,
            standing=access == ACCESS_OPEN,
        )
        item = self.groups.new_item(
            name_key=name_key(name),
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
            standing_code=invite.code if invite.standing else None,
        )
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
    ) -> responses.Invite:
        group = self.managed(caller, group_id)
        hours = DEFAULT_INVITE_HOURS if expires_in_hours is None else expires_in_hours
        item = self._new_invite(group_id, caller, expires_in_hours=hours, max_uses=max_uses)
        if rotate:
            for old in self.invites.for_group(group_id):
                if old.code != item.code and not old.revoked and old.code != group.standing_code:
                    self.invites.revoke(old)
        return invite_view(item.to_domain(), datetime.now(UTC))

    def list_invites(self, caller: Caller, group_id: str) -> list[responses.Invite]:
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

    def preview_invite(self, raw_code: str) -> InvitePreview:
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
        return InvitePreview(
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

    def get(self, caller: Caller, group_id: str) -> Group:
        return self.view(caller, self.visible(caller, group_id))

    def facilitated(self, caller: Caller) -> list[Group]:
        """Every group the caller facilitates, listed or not, by name."""
        if caller.role is not Role.FACILITATOR or not caller.subject_id:
            raise ForbiddenError("Only facilitators run groups.")
        return [self.view(caller, item) for item in self.groups.facilitated_by(caller.subject_id)]

    def directory(self, caller: Caller, topic: str | None) -> list[Group]:
        topic_key = normalise_topic(topic) if topic else None
        return [self.view(caller, item) for item in self.groups.listed(topic_key)]

    def update(self, caller: Caller, group_id: str, changes: Mapping[str, Any]) -> Group:
        """A partial update: a field left out of `changes` stays as it is, and so does a null one,
        except `max_members`, which null removes."""
        group = self.managed(caller, group_id)
        values = {
            field: value for field, value in changes.items() if field != "max_members" and value is not None
        }
        if "topic" in values:
            values["topic"] = normalise_topic(values["topic"])
        name = values.get("name", group.name)
        topic = values.get("topic", group.topic)
        listed = values.get("listed", bool(group.listed))
        access = values.get("access", group.access)
        label = values.get("session_label", group.session_label)
        description = values.get("description", group.description or "")
        if "session_label" in values or label != DEFAULT_LABEL:
            check_label(label, name, topic, description)
        if access == ACCESS_OPEN and not listed:
            raise ValidationError({"access": "Open groups must be listed in the directory."})

        standing_code = KEEP
        if access == ACCESS_OPEN and not group.standing_code:
            standing = self._new_invite(group_id, caller, expires_in_hours=None, max_uses=None, standing=True)
            standing_code = standing.code
        elif access == ACCESS_INVITE and group.standing_code:
            standing_item = self.invites.get(group.standing_code)
            if standing_item is not None:
                self.invites.revoke(standing_item)
            standing_code = None
        self.groups.change(
            group,
            values,
            name_key=name_key(name),
            max_members=changes.get("max_members", KEEP),
            standing_code=standing_code,
        )
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
                entries.append(
                    RosterEntry(member_id=item.facilitator_id, handle=item.display_name, role="facilitator")
                )
            elif isinstance(item, MemberItem) and item.status == ACTIVE:
                entries.append(
                    RosterEntry(
                        member_id=item.member_id,
                        handle=item.handle,
                        role="member",
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
