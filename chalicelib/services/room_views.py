"""What the room's use cases show and share: the views of messages, alerts and audit entries,
and who a caller is in a group's room.

Posting (`services.room`), moderation (`services.room_moderation`) and live pushes
(`services.room_live`) all read these; each view is built from its stored item by name
(`project`), so a field added to both is carried without another line of copying.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from chalicelib.domain.identity import Caller
from chalicelib.errors import ForbiddenError, NotFoundError
from chalicelib.services.groups import GroupService, GroupView
from chalicelib.settings import get_settings
from chalicelib.store import keys
from chalicelib.store.groups import GroupItem, StaffItem
from chalicelib.store.room import OPEN, AlertItem, AuditItem, LiveRoomItem, MessageItem

MEMBER = "member"
FACILITATOR = "facilitator"

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    return datetime.now(UTC)


if TYPE_CHECKING:
    from _typeshed import DataclassInstance

View = TypeVar("View", bound="DataclassInstance")


def project(view: type[View], source: object, **overrides: Any) -> View:
    """A view dataclass from the attributes of the same names on `source`, except `overrides`."""
    values = {f.name: getattr(source, f.name) for f in fields(view) if f.name not in overrides}
    return view(**values, **overrides)


@dataclass(frozen=True)
class MessageView:
    message_id: str
    group_id: str
    handle: str
    role: str
    body: str
    created_at: datetime
    mine: bool


def message_view(item: MessageItem, caller: Caller) -> MessageView:
    mine = item.author_id == caller.subject_id and caller.role.value == item.author_role
    return project(MessageView, item, role=item.author_role, mine=mine)


@dataclass(frozen=True)
class Posted:
    message: MessageView
    resources: list[dict[str, str]] | None
    notice: str | None = None  # told to the writer alone: why their words were changed
    alerted: bool = False  # the post alerted a facilitator (a crisis)


@dataclass(frozen=True)
class Listing:
    items: list[Any]
    next: str | None


@dataclass(frozen=True)
class AlertView:
    alert_id: str
    kind: str
    message_id: str | None
    created_at: datetime
    category: str | None
    reason: str | None
    status: str
    handled_at: datetime | None
    handled_by: str | None


def alert_view(item: AlertItem) -> AlertView:
    return project(AlertView, item, kind=item.alert_kind, status=item.status or OPEN)


@dataclass(frozen=True)
class AuditView:
    entry_id: str
    action: str
    actor_id: str
    actor_role: str
    actor_name: str | None
    member_id: str | None
    handle: str | None
    message_id: str | None
    muted_until: datetime | None
    alert_id: str | None
    created_at: datetime


def audit_view(item: AuditItem) -> AuditView:
    return project(AuditView, item)


@dataclass(frozen=True)
class MuteView:
    member_id: str
    muted_until: datetime


@dataclass(frozen=True)
class FacilitatedGroup(GroupView):
    open_alerts: int = 0


def iso(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def retention() -> timedelta:
    """How long room messages (and reports and alerts) are kept."""
    return timedelta(days=get_settings().message_retention_days)


def live_registry(item: Any) -> LiveRoomItem | None:
    """The group's live-connection registry from a fetch, if it has one."""
    return item if isinstance(item, LiveRoomItem) else None


def staff_name(
    groups: GroupService, caller: Caller, group_id: str, found: dict[keys.Key, Any]
) -> tuple[GroupItem, str]:
    """The group and the caller's display name, if the caller facilitates it (from a fetch of
    `keys.group` and `keys.staff`)."""
    group = found.get(keys.group(group_id))
    if not isinstance(group, GroupItem) or not groups.can_see(caller, group):
        raise NotFoundError("No such group.")
    if not groups.is_facilitator(caller, group):
        raise ForbiddenError("Only this group's facilitators can do that.")
    staff = found.get(keys.staff(group_id, caller.subject_id or ""))
    return group, staff.display_name if isinstance(staff, StaffItem) else "Facilitator"
