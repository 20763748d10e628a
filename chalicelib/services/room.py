"""The group room: posting and reading messages, moderation, crisis safety and live pushes.

Posting costs three DynamoDB requests: the credential (routing), one BatchGetItem for the
author's membership (handle, mute) and the group's live-connection registry, and one
transaction that re-checks the membership, counts the post against the rate limit and
writes the message (with its crisis alert, if any). Reading a page is one Query after the
credential. A crisis adds the facilitators' notice; it never blocks the writer's answer.

Moderation (hiding a message, muting, removing a member) is written to the group's audit
trail in the same transaction as the action, except removal, which `MembershipService`
owns: it tells `member_removed` once a removal happened (wired in the composition root).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from chalicelib import crypto
from chalicelib.domain import room as rules
from chalicelib.domain.identity import Caller, Role
from chalicelib.domain.room import Endpoint, LiveConnection
from chalicelib.errors import (
    ConflictError,
    ForbiddenError,
    HearthError,
    NotFoundError,
    RateLimitedError,
    UnauthorizedError,
    ValidationError,
)
from chalicelib.notify.live import WebsocketPusher
from chalicelib.notify.senders import Sender, SendError, sender
from chalicelib.observability import count, logger
from chalicelib.services.groups import GroupService
from chalicelib.settings import get_settings
from chalicelib.store import keys
from chalicelib.store.counters import CounterRepository
from chalicelib.store.facilitators import FacilitatorItem
from chalicelib.store.groups import GroupItem, StaffItem
from chalicelib.store.members import ACTIVE, REMOVED, MemberItem, MemberRepository
from chalicelib.store.room import (
    HANDLED,
    OPEN,
    AlertItem,
    AuditItem,
    LiveRoomItem,
    MessageItem,
    RateLimit,
    RoomRepository,
)

MEMBER = "member"
FACILITATOR = "facilitator"

POST_LIMIT = 12  # messages per member per minute: a fast typist, not a flood
POST_WINDOW_SECONDS = 60
NOTICE_WINDOW_SECONDS = 600  # at most one crisis email per facilitator and group per 10 minutes
AUDIT_RETENTION = timedelta(days=365)
LIVE_TTL = timedelta(hours=2, minutes=5)  # API Gateway closes every WebSocket after two hours
MAX_CONNECTIONS = 2000  # per group; keeps the registry item far below DynamoDB's 400 KB

HIDDEN = "message_hidden"
MUTED = "member_muted"
UNMUTED = "member_unmuted"
ALERT_HANDLED = "alert_handled"
REMOVED_ACTION = "member_removed"

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    return datetime.now(UTC)


class LivePush(Protocol):
    def send_all(self, endpoint: Endpoint, messages: dict[str, str]) -> list[str]: ...

    def close(self, endpoint: Endpoint, connection_id: str) -> None: ...


@dataclass(frozen=True)
class MessageView:
    message_id: str
    group_id: str
    handle: str
    role: str
    body: str
    created_at: datetime
    mine: bool


@dataclass(frozen=True)
class Posted:
    message: MessageView
    resources: list[dict[str, str]] | None
    notice: str | None = None  # told to the writer alone: why their words were changed


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
    return AlertView(
        alert_id=item.alert_id,
        kind=item.alert_kind,
        message_id=item.message_id,
        created_at=item.created_at,
        category=item.category,
        reason=item.reason,
        status=item.status or OPEN,
        handled_at=item.handled_at,
        handled_by=item.handled_by,
    )


@dataclass(frozen=True)
class FacilitatedGroup:
    group: Any  # a GroupView
    open_alerts: int


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


@dataclass(frozen=True)
class MuteView:
    member_id: str
    muted_until: datetime


@dataclass(frozen=True)
class _Author:
    author_id: str
    role: str
    name: str
    membership: keys.Key | None  # a member's, re-checked when the message is written


def _iso(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class RefusedWithHelpError(HearthError):
    """A refused post (muted, too fast) that reads as a crisis: the refusal still carries help.

    Keeps the refusal's status, code, message and headers (`Retry-After`); adds `resources`.
    """

    def __init__(self, refusal: HearthError, resources: list[dict[str, str]]) -> None:
        super().__init__(refusal.message, code=refusal.code)
        self.status = refusal.status
        self.refusal = refusal
        self.resources = resources

    def headers(self) -> dict[str, str]:
        return self.refusal.headers()

    def body(self) -> dict[str, Any]:
        return {**self.refusal.body(), "resources": self.resources}


class RoomService:
    def __init__(
        self,
        groups: GroupService | None = None,
        room: RoomRepository | None = None,
        members: MemberRepository | None = None,
        counters: CounterRepository | None = None,
        live: LivePush | None = None,
        send: Callable[[], Sender] = sender,
        clock: Clock = utcnow,
    ) -> None:
        self.groups = groups or GroupService()
        self.room = room or RoomRepository()
        self.members = members or MemberRepository()
        self.counters = counters or CounterRepository()
        self.live = live or WebsocketPusher()
        self.send = send
        self.clock = clock

    @staticmethod
    def retention() -> timedelta:
        return timedelta(days=get_settings().message_retention_days)

    # --- who is asking -------------------------------------------------------------------

    def _require_reader(self, caller: Caller, group_id: str) -> None:
        """A member of this group passes on their credential alone; others need the group."""
        if caller.role is Role.MEMBER and not caller.removed and caller.group_id == group_id:
            return
        self.groups.inside(caller, group_id)

    def _staff(self, caller: Caller, group_id: str, found: dict[keys.Key, Any]) -> tuple[GroupItem, str]:
        """The group and the caller's display name, if the caller facilitates it (from a fetch)."""
        group = found.get(keys.group(group_id))
        if not isinstance(group, GroupItem) or not self.groups.can_see(caller, group):
            raise NotFoundError("No such group.")
        if not self.groups.is_facilitator(caller, group):
            raise ForbiddenError("Only this group's facilitators can do that.")
        staff = found.get(keys.staff(group_id, caller.subject_id or ""))
        return group, staff.display_name if isinstance(staff, StaffItem) else "Facilitator"

    def _author(self, caller: Caller, group_id: str, now: datetime) -> tuple[_Author, LiveRoomItem | None]:
        live_key = keys.live_room(group_id)
        if caller.role is Role.MEMBER and caller.group_id == group_id and caller.subject_id:
            member_key = keys.member(group_id, caller.subject_id)
            found = self.room.fetch([member_key, live_key])
            member = found.get(member_key)
            if not isinstance(member, MemberItem):
                raise UnauthorizedError("This token is not valid.")
            if member.status == REMOVED:
                raise ForbiddenError("You were removed from this group.", code="removed")
            if member.muted_until is not None and member.muted_until > now:
                raise ForbiddenError(
                    f"A facilitator muted you in this room until {_iso(member.muted_until)}.", code="muted"
                )
            author = _Author(member.member_id, MEMBER, member.handle, member_key)
            return author, _live(found.get(live_key))
        if caller.role is Role.FACILITATOR:
            wanted = [keys.group(group_id), keys.staff(group_id, caller.subject_id or ""), live_key]
            found = self.room.fetch(wanted)
            _, name = self._staff(caller, group_id, found)
            return _Author(caller.subject_id or "", FACILITATOR, name, None), _live(found.get(live_key))
        self.groups.inside(caller, group_id)  # a member of another group: 404 or 403
        raise ForbiddenError("Only this group's members and facilitators can do that.")

    # --- messages ------------------------------------------------------------------------

    def view(self, item: MessageItem, caller: Caller) -> MessageView:
        return MessageView(
            message_id=item.message_id,
            group_id=item.group_id,
            handle=item.handle,
            role=item.author_role,
            body=item.body,
            created_at=item.created_at,
            mine=item.author_id == caller.subject_id and caller.role.value == item.author_role,
        )

    def post(self, caller: Caller, group_id: str, raw_body: str) -> Posted:
        """Post as a member (not muted) or a facilitator; a member's crisis gets help at once.

        Help does not wait for permission: a muted or rate-limited member whose message reads
        as a crisis is still refused, but the refusal carries the resources and the
        facilitators are alerted.
        """
        from chalicelib.domain import crisis  # its patterns take ~50 ms to compile: not on every cold start

        try:
            body = rules.clean_body(raw_body)
        except rules.MessageTextError as exc:
            raise ValidationError({"body": str(exc)}) from exc
        body, masked = rules.mask_contacts(body)
        now = self.clock()
        # Facilitators are not assessed: they quote the resources and name the topic on purpose.
        assessment = crisis.assess(body) if caller.role is Role.MEMBER else crisis.NOT_FLAGGED
        try:
            author, live = self._author(caller, group_id, now)
            message = self._write(group_id, author, body, assessment, now)
        except (ForbiddenError, RateLimitedError) as exc:
            if not assessment.flagged or exc.code not in ("muted", "rate_limited"):
                raise
            self._record_crisis(group_id, None, assessment.category, now, write=True)
            raise RefusedWithHelpError(exc, crisis.resources()) from exc
        if assessment.flagged:
            self._record_crisis(group_id, message.message_id, assessment.category, now, write=False)
        self._push_message(group_id, live, message, now)
        return Posted(
            message=self.view(message, caller),
            resources=crisis.resources() if assessment.flagged else None,
            notice=rules.MASKED_NOTICE if masked else None,
        )

    def _write(
        self, group_id: str, author: _Author, body: str, assessment: Any, now: datetime
    ) -> MessageItem:
        """The message, its rate-limit count and (for a crisis) its alert, in one transaction."""
        seq = rules.new_seq(now)
        message = self.room.new_message(
            group_id,
            seq,
            message_id=rules.message_id(group_id, seq),
            author_id=author.author_id,
            author_role=author.role,
            handle=author.name,
            body=body,
            created_at=now,
            expires_at=now + self.retention(),
        )
        alert = None
        if assessment.flagged:
            alert = self._crisis_alert(group_id, message.message_id, assessment.category, now)
        # keyed by a blind index, like every counter: the item names nobody once it expires
        subject = crypto.blind_index("member", author.author_id)
        limit = RateLimit("room_post", subject, POST_LIMIT, POST_WINDOW_SECONDS)
        self.room.post(message, author=author.membership, limit=limit, now=now, alert=alert)
        return message

    def _crisis_alert(
        self, group_id: str, message_id: str | None, category: str | None, now: datetime
    ) -> AlertItem:
        return self.room.new_alert(
            group_id,
            rules.new_seq(now),
            alert_kind="crisis",
            message_id=message_id,
            category=category,
            created_at=now,
            expires_at=now + self.retention(),
        )

    def _record_crisis(
        self, group_id: str, message_id: str | None, category: str | None, now: datetime, *, write: bool
    ) -> None:
        """Count a crisis and tell the facilitators; `write` the alert unless the post already did."""
        if write:
            self.room.record(self._crisis_alert(group_id, message_id, category, now))
        count("crisis_flags")
        self._notify_facilitators(group_id, now)

    def messages(self, caller: Caller, group_id: str, before: str | None, limit: int) -> Listing:
        """Newest first; expired messages are left out even before DynamoDB deletes them."""
        self._require_reader(caller, group_id)
        now = self.clock()
        floor = rules.seq_floor(now - self.retention())
        page = self.room.messages(group_id, floor, before=before, limit=limit, now=now)
        return Listing([self.view(item, caller) for item in page.items], page.next)

    # --- moderation ----------------------------------------------------------------------

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
                _, actor_name = self._staff(caller, ref.group_id, found)
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
        event = json.dumps({"type": "message_hidden", "message_id": message.message_id})
        self._push(ref.group_id, _live(found.get(live_key)), lambda _connection: event, now)

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
            expires_at=now + self.retention(),
        )
        alert = self.room.new_alert(
            ref.group_id,
            rules.new_seq(now),
            alert_kind="report",
            message_id=message_id,
            reason=reason or None,
            created_at=now,
            expires_at=now + self.retention(),
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
        _, actor_name = self._staff(caller, group_id, found)
        member = found.get(member_key)
        if not isinstance(member, MemberItem):
            raise NotFoundError("No such member in this group.")
        return actor_name, member

    def mute(self, caller: Caller, group_id: str, member_id: str, minutes: int) -> MuteView:
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
        return MuteView(member_id=member_id, muted_until=until)

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
        self._hang_up(member.group_id, member.member_id, now, _live(found.get(live_key)))

    def forget_member(self, member: MemberItem) -> None:
        """Erasure: the member's messages are deleted, their handle leaves the audit trail, and
        their live connections are closed."""
        self.room.delete(self.room.by_author(member.group_id, member.member_id))
        self.room.forget_in_audit(member.group_id, member.member_id)
        live_key = keys.live_room(member.group_id)
        live = _live(self.room.fetch([live_key]).get(live_key))
        self._hang_up(member.group_id, member.member_id, self.clock(), live)

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

    def handle_alert(self, caller: Caller, group_id: str, alert_id: str) -> AlertView:
        """Mark an alert handled (who, when) in the audit trail; handling it again changes nothing."""
        found = self.room.fetch([keys.group(group_id), keys.staff(group_id, caller.subject_id or "")])
        _, actor_name = self._staff(caller, group_id, found)
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
            FacilitatedGroup(view, self.room.open_alerts(view.group_id, now))
            for view in self.groups.facilitated(caller)
        ]

    def audit(self, caller: Caller, group_id: str, before: str | None, limit: int) -> Listing:
        self.groups.managed(caller, group_id)
        page = self.room.audit(group_id, before=before, limit=limit, now=self.clock())
        return Listing(
            [
                AuditView(
                    entry_id=item.entry_id,
                    action=item.action,
                    actor_id=item.actor_id,
                    actor_role=item.actor_role,
                    actor_name=item.actor_name,
                    member_id=item.member_id,
                    handle=item.handle,
                    message_id=item.message_id,
                    muted_until=item.muted_until,
                    alert_id=item.alert_id,
                    created_at=item.created_at,
                )
                for item in page.items
            ],
            page.next,
        )

    # --- crisis notice -------------------------------------------------------------------

    def _notify_facilitators(self, group_id: str, now: datetime) -> None:
        """Email each facilitator with an address a neutral notice; failures never reach the writer."""
        group = self.groups.groups.get(group_id)
        if group is None or not group.facilitator_ids:
            return
        found = self.room.fetch([keys.facilitator(fid) for fid in sorted(group.facilitator_ids)])
        notice = rules.crisis_notice(f"{get_settings().public_base_url}/f")
        for facilitator in found.values():
            if not isinstance(facilitator, FacilitatorItem) or facilitator.email_enc is None:
                continue
            try:
                self.counters.hit(
                    "crisis_notice", f"{facilitator.facilitator_id}#{group_id}", 1, NOTICE_WINDOW_SECONDS, now
                )
            except RateLimitedError:
                continue  # they were told minutes ago; the console lists every alert
            try:
                to = crypto.open_sealed("email", facilitator.email_enc)
                self.send().email(to, notice.subject, notice.text)
            except (SendError, HearthError):
                count("crisis_notices_failed")
                logger().warning("crisis notice failed", extra={"group_id": group_id})
                continue
            count("crisis_notices")

    # --- live connections ----------------------------------------------------------------

    def live_url(self) -> str | None:
        """Where pages open their live connection; None where the stage has no WebSocket API."""
        return get_settings().websocket_url

    def connect(self, caller: Caller, group_id: str | None, connection_id: str, endpoint: Endpoint) -> None:
        """Open a live connection: a member to their own group, a facilitator to one they run."""
        if caller.removed:
            raise ForbiddenError("You were removed from this group.", code="removed")
        if caller.role is Role.MEMBER:
            if group_id not in (None, caller.group_id):
                raise ForbiddenError("A member token opens only its own group's room.")
            group_id = caller.group_id
        elif caller.role is Role.FACILITATOR:
            if not group_id:
                raise ValidationError({"group_id": "Name the group to follow."})
            self.groups.managed(caller, group_id)
        elif caller.is_anonymous:
            raise UnauthorizedError()
        else:
            raise ForbiddenError()
        live = LiveConnection(connection_id, caller.role.value, caller.subject_id or "")
        self.room.connect(group_id or "", live, endpoint, self.clock() + LIVE_TTL, MAX_CONNECTIONS)
        count("live_connects")

    def disconnect(self, connection_id: str) -> None:
        pointer = self.room.connection(connection_id)
        if pointer is not None:
            self.room.disconnect(pointer)

    def _push_message(
        self, group_id: str, live: LiveRoomItem | None, item: MessageItem, now: datetime
    ) -> None:
        def render(connection: LiveConnection) -> str:
            viewer = Caller(Role(connection.role), subject_id=connection.subject_id)
            view = self.view(item, viewer)
            message = {
                "message_id": view.message_id,
                "group_id": view.group_id,
                "handle": view.handle,
                "role": view.role,
                "body": view.body,
                "created_at": _iso(view.created_at),
                "mine": view.mine,
            }
            return json.dumps({"type": "message", "message": message}, ensure_ascii=False)

        self._push(group_id, live, render, now)

    def _push(
        self,
        group_id: str,
        live: LiveRoomItem | None,
        render: Callable[[LiveConnection], str],
        now: datetime,
    ) -> None:
        """Send to every open connection of the group; forget those API Gateway no longer knows."""
        if live is None or live.endpoint is None:
            return
        connections = live.open_connections(now)
        if not connections:
            return
        by_id = {connection.connection_id: connection for connection in connections}
        gone = self.live.send_all(live.endpoint, {cid: render(c) for cid, c in by_id.items()})
        if gone:
            self.room.drop(group_id, [by_id[cid] for cid in gone])
            count("live_gone", len(gone))

    def _hang_up(self, group_id: str, subject_id: str, now: datetime, live: LiveRoomItem | None) -> None:
        """Close a member's open connections (as read in `live`) and forget them."""
        if live is None or live.endpoint is None:
            return
        theirs = [c for c in live.open_connections(now) if c.subject_id == subject_id]
        for connection in theirs:
            self.live.close(live.endpoint, connection.connection_id)
        self.room.drop(group_id, theirs)


def _live(item: Any) -> LiveRoomItem | None:
    return item if isinstance(item, LiveRoomItem) else None
