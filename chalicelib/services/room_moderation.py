"""Moderating the group room: reports, hiding a message, muting, alerts and the audit trail.

Each action (hiding a message, muting, handling an alert) is written to the group's audit
trail in the same transaction as the action itself, except removal, which
`MembershipService` owns: it calls `member_removed` once a removal happened (passed to it
in the composition root), and `forget_member` when a member erases their data.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from chalicelib.domain import room as rules
from chalicelib.domain.identity import Caller, Role
from chalicelib.errors import ConflictError, ForbiddenError, NotFoundError
from chalicelib.observability import count
from chalicelib.responses import Alert, FacilitatedGroup, Muted
from chalicelib.services.groups import GroupService
from chalicelib.services.room_live import RoomLive
from chalicelib.services.room_views import (
    MEMBER,
    Clock,
    Listing,
    alert_view,
    audit_view,
    live_registry,
    project,
    retention,
    staff_name,
    utcnow,
)
from chalicelib.store import keys
from chalicelib.store.groups import StaffItem
from chalicelib.store.members import ACTIVE, MemberItem
from chalicelib.store.room import HANDLED, AuditItem, MessageItem, RoomRepository

AUDIT_RETENTION = timedelta(days=365)

HIDDEN = "message_hidden"
MUTED = "member_muted"
UNMUTED = "member_unmuted"
ALERT_HANDLED = "alert_handled"
REMOVED_ACTION = "member_removed"


class RoomModeration:
    def __init__(
        self,
        groups: GroupService | None = None,
        room: RoomRepository | None = None,
        live: RoomLive | None = None,
        clock: Clock = utcnow,
    ) -> None:
        self.groups = groups or GroupService()
        self.room = room or RoomRepository()
        self.live = live or RoomLive(self.groups, self.room)
        self.clock = clock

    def _message_ref(self, caller: Caller, message_id: str) -> rules.MessageRef:
        ref = rules.parse_message_id(message_id)
        if ref is None or (caller.role is Role.MEMBER and caller.group_id != ref.group_id):
            raise NotFoundError("No such message.")
        return ref

    def hide(self, caller: Caller, message_id: str) -> None:
        """Its author or the group's facilitator deletes a message for everyone; recorded."""
        ref = self._message_ref(caller, message_id)
        now = self.clock()
        message_key = keys.message(ref.group_id, ref.seq)
        live_key = keys.live_room(ref.group_id)
        wanted = [message_key, live_key]
        if caller.role is Role.FACILITATOR:
            wanted += [keys.group(ref.group_id), keys.staff(ref.group_id, caller.subject_id or "")]
        found = self.room.fetch(wanted)
        actor_name = None
        if caller.role is Role.FACILITATOR:
            try:
                _, actor_name = staff_name(self.groups, caller, ref.group_id, found)
            except ForbiddenError as exc:  # another group's messages are not theirs to know about
                raise NotFoundError("No such message.") from exc
        message = found.get(message_key)
        if not isinstance(message, MessageItem) or (message.expires_at and message.expires_at <= now):
            raise NotFoundError("No such message.")
        if caller.role is Role.MEMBER:
            if message.author_id != caller.subject_id or message.author_role != MEMBER:
                raise ForbiddenError("Only its author or a facilitator of the group can remove a message.")
            actor_name = message.handle
        audit = self._audit(
            ref.group_id,
            now,
            HIDDEN,
            caller,
            actor_name,
            member_id=message.author_id if message.author_role == MEMBER else None,
            handle=message.handle,
            message_id=message.message_id,
        )
        self.room.hide(message, audit)
        self.live.hidden(ref.group_id, live_registry(found.get(live_key)), message.message_id, now)

    def report(self, caller: Caller, message_id: str, reason: str | None) -> str | None:
        """A member flags a message to the facilitators; once per member and message.

        Returns the notice for the reporter when contact details in the reason were hidden.
        """
        ref = self._message_ref(caller, message_id)
        masked = False
        if reason:
            reason, masked = rules.mask_contacts(reason)
        now = self.clock()
        report = self.room.new_report(
            ref.group_id,
            ref.seq,
            caller.subject_id or "",
            message_id=message_id,
            created_at=now,
            expires_at=now + retention(),
        )
        alert = self.room.new_alert(
            ref.group_id,
            rules.new_seq(now),
            alert_kind="report",
            message_id=message_id,
            reason=reason or None,
            created_at=now,
            expires_at=now + retention(),
        )
        if self.room.report(keys.message(ref.group_id, ref.seq), report, alert, now):
            count("reports")
        return rules.MASKED_NOTICE if masked else None

    def _moderated(self, caller: Caller, group_id: str, member_id: str) -> tuple[str, MemberItem]:
        """The caller's display name (they must facilitate the group) and the member, in one fetch."""
        member_key = keys.member(group_id, member_id)
        found = self.room.fetch(
            [keys.group(group_id), keys.staff(group_id, caller.subject_id or ""), member_key]
        )
        _, actor_name = staff_name(self.groups, caller, group_id, found)
        member = found.get(member_key)
        if not isinstance(member, MemberItem):
            raise NotFoundError("No such member in this group.")
        return actor_name, member

    def mute(self, caller: Caller, group_id: str, member_id: str, minutes: int) -> Muted:
        """A facilitator mutes a member for a while; it ends by itself."""
        actor_name, member = self._moderated(caller, group_id, member_id)
        if member.status != ACTIVE:
            raise ConflictError("This member is no longer in the group.", code="not_active")
        now = self.clock()
        until = now + timedelta(minutes=minutes)
        audit = self._audit(
            group_id,
            now,
            MUTED,
            caller,
            actor_name,
            member_id=member_id,
            handle=member.handle,
            muted_until=until,
        )
        self.room.mute(member, until, audit)
        count("mutes")
        return Muted(member_id=member_id, muted_until=until)

    def unmute(self, caller: Caller, group_id: str, member_id: str) -> None:
        """A facilitator ends a member's mute now; recorded only when there was one to end."""
        actor_name, member = self._moderated(caller, group_id, member_id)
        now = self.clock()
        if member.muted_until is None or member.muted_until <= now:
            return
        audit = self._audit(
            group_id, now, UNMUTED, caller, actor_name, member_id=member_id, handle=member.handle
        )
        if self.room.unmute(member, now, audit):
            count("unmutes")

    def member_removed(self, caller: Caller, member: MemberItem) -> None:
        """After `MembershipService.remove`: record it and hang up the member's live connections."""
        now = self.clock()
        live_key = keys.live_room(member.group_id)
        found = self.room.fetch([keys.staff(member.group_id, caller.subject_id or ""), live_key])
        staff = found.get(keys.staff(member.group_id, caller.subject_id or ""))
        actor_name = staff.display_name if isinstance(staff, StaffItem) else None
        self.room.record(
            self._audit(
                member.group_id,
                now,
                REMOVED_ACTION,
                caller,
                actor_name,
                member_id=member.member_id,
                handle=member.handle,
            )
        )
        self.live.hang_up(member.group_id, member.member_id, now, live_registry(found.get(live_key)))

    def forget_member(self, member: MemberItem) -> None:
        """Erasure: the member's messages are deleted, their handle leaves the audit trail, and
        their live connections are closed."""
        self.room.delete(self.room.by_author(member.group_id, member.member_id))
        self.room.forget_in_audit(member.group_id, member.member_id)
        live_key = keys.live_room(member.group_id)
        live = live_registry(self.room.fetch([live_key]).get(live_key))
        self.live.hang_up(member.group_id, member.member_id, self.clock(), live)

    def _audit(
        self,
        group_id: str,
        now: datetime,
        action: str,
        caller: Caller,
        actor_name: str | None,
        **subject: Any,
    ) -> AuditItem:
        return self.room.new_audit(
            group_id,
            rules.new_seq(now),
            action=action,
            actor_id=caller.subject_id or "",
            actor_role=caller.role.value,
            actor_name=actor_name,
            created_at=now,
            expires_at=now + AUDIT_RETENTION,
            **subject,
        )

    def alerts(
        self, caller: Caller, group_id: str, status: str | None, before: str | None, limit: int
    ) -> Listing:
        """Newest first; `status` open (the queue), handled (the history) or None (both)."""
        self.groups.managed(caller, group_id)
        page = self.room.alerts(group_id, status=status, before=before, limit=limit, now=self.clock())
        return Listing([alert_view(item) for item in page.items], page.next)

    def handle_alert(self, caller: Caller, group_id: str, alert_id: str) -> Alert:
        """Mark an alert handled (who, when) in the audit trail; handling it again changes nothing."""
        found = self.room.fetch([keys.group(group_id), keys.staff(group_id, caller.subject_id or "")])
        _, actor_name = staff_name(self.groups, caller, group_id, found)
        seq = rules.parse_alert_id(alert_id)
        now = self.clock()
        alert = None if seq is None else self.room.alert(group_id, seq, now)
        if alert is None:
            raise NotFoundError("No such alert.")
        if alert.status == HANDLED:
            return alert_view(alert)
        audit = self._audit(
            group_id, now, ALERT_HANDLED, caller, actor_name, message_id=alert.message_id, alert_id=alert_id
        )
        if not self.room.handle_alert(alert, now, caller.subject_id or "", actor_name, audit):
            alert = self.room.alert(group_id, seq or "", now) or alert  # the other handler's record
        return alert_view(alert)

    def facilitated_groups(self, caller: Caller) -> list[FacilitatedGroup]:
        """Every group the caller runs, listed or not, with how many of its alerts are open."""
        now = self.clock()
        return [
            project(FacilitatedGroup, view, open_alerts=self.room.open_alerts(view.group_id, now))
            for view in self.groups.facilitated(caller)
        ]

    def audit(self, caller: Caller, group_id: str, before: str | None, limit: int) -> Listing:
        self.groups.managed(caller, group_id)
        page = self.room.audit(group_id, before=before, limit=limit, now=self.clock())
        return Listing([audit_view(item) for item in page.items], page.next)
