"""What the room's use cases show and share: the views of messages, alerts and audit entries,
and who a caller is in a group's room.

Posting (`services.room`), moderation (`services.room_moderation`) and live pushes
(`services.room_live`) all read these; each view is built from its stored item by name
(`project`), so a field added to both is carried without another line of copying.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from pydantic import BaseModel

from chalicelib.domain.identity import Caller
from chalicelib.errors import ForbiddenError, NotFoundError
from chalicelib.responses import Alert, AuditEntry, Message
from chalicelib.services.groups import GroupService
from chalicelib.settings import get_settings
from chalicelib.store import keys
from chalicelib.store.groups import GroupItem, StaffItem
from chalicelib.store.room import OPEN, AlertItem, AuditItem, LiveRoomItem, MessageItem

MEMBER = "member"
FACILITATOR = "facilitator"

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    return datetime.now(UTC)


View = TypeVar("View", bound=BaseModel)


def project(view: type[View], source: object, **overrides: Any) -> View:
    """A response shape from the attributes of the same names on `source`, except `overrides`."""
    values = {name: getattr(source, name) for name in view.model_fields if name not in overrides}
    return view.model_validate({**values, **overrides})


def message_view(item: MessageItem, caller: Caller) -> Message:
    mine = item.author_id == caller.subject_id and caller.role.value == item.author_role
    return project(Message, item, role=item.author_role, mine=mine)


@dataclass(frozen=True)
class Listing:
    items: list[Any]
    next: str | None


def alert_view(item: AlertItem) -> Alert:
    return project(Alert, item, kind=item.alert_kind, status=item.status or OPEN)


def audit_view(item: AuditItem) -> AuditEntry:
    return project(AuditEntry, item)


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
