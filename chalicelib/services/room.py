"""The group room: posting and reading messages, and crisis safety.

Posting costs three DynamoDB requests: the credential (routing), one BatchGetItem for the
author's membership (handle, mute) and the group's live-connection registry, and one
transaction that re-checks the membership, counts the post against the rate limit and
writes the message (with its crisis alert, if any). Reading a page is one Query after the
credential. A crisis adds the facilitators' notice; it never blocks the writer's answer.

Moderation is `services.room_moderation`; the pushes to open connections `services.room_live`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chalicelib import crypto
from chalicelib.domain import crisis_lines
from chalicelib.domain import room as rules
from chalicelib.domain.identity import Caller, Role
from chalicelib.errors import (
    ForbiddenError,
    HearthError,
    RateLimitedError,
    RefusedWithHelpError,
    UnauthorizedError,
    ValidationError,
)
from chalicelib.notify.senders import Sender, SendError, sender
from chalicelib.observability import count, logger
from chalicelib.responses import PostedMessage
from chalicelib.services.groups import GroupService
from chalicelib.services.room_live import RoomLive
from chalicelib.services.room_views import (
    FACILITATOR,
    MEMBER,
    Clock,
    Listing,
    iso,
    live_registry,
    message_view,
    retention,
    staff_name,
    utcnow,
)
from chalicelib.settings import get_settings
from chalicelib.store import keys
from chalicelib.store.counters import CounterRepository
from chalicelib.store.facilitators import FacilitatorItem
from chalicelib.store.members import REMOVED, MemberItem
from chalicelib.store.room import AlertItem, LiveRoomItem, MessageItem, RateLimit, RoomRepository

POST_LIMIT = 12  # messages per member per minute: a fast typist, not a flood
POST_WINDOW_SECONDS = 60
NOTICE_WINDOW_SECONDS = 600  # at most one crisis email per facilitator and group per 10 minutes


@dataclass(frozen=True)
class _Author:
    author_id: str
    role: str
    name: str
    membership: keys.Key | None  # a member's, re-checked when the message is written
    country: str | None = None  # a member's, for the crisis lines they are shown


class MutedError(ForbiddenError):
    """The writer is muted; carries their country, for the help a crisis post still gets."""

    code = "muted"

    def __init__(self, message: str, *, country: str | None) -> None:
        super().__init__(message)
        self.country = country


class RoomService:
    def __init__(
        self,
        groups: GroupService | None = None,
        room: RoomRepository | None = None,
        counters: CounterRepository | None = None,
        live: RoomLive | None = None,
        send: Callable[[], Sender] = sender,
        clock: Clock = utcnow,
    ) -> None:
        self.groups = groups or GroupService()
        self.room = room or RoomRepository()
        self.counters = counters or CounterRepository()
        self.live = live or RoomLive(self.groups, self.room)
        self.send = send
        self.clock = clock

    # --- who is asking -------------------------------------------------------------------

    def _require_reader(self, caller: Caller, group_id: str) -> None:
        """A member of this group passes on their credential alone; others need the group."""
        if caller.role is Role.MEMBER and not caller.removed and caller.group_id == group_id:
            return
        self.groups.inside(caller, group_id)

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
                raise MutedError(
                    f"A facilitator muted you in this room until {iso(member.muted_until)}.",
                    country=crisis_lines.country_for(member.country, member.timezone),
                )
            country = crisis_lines.country_for(member.country, member.timezone)
            author = _Author(member.member_id, MEMBER, member.handle, member_key, country)
            return author, live_registry(found.get(live_key))
        if caller.role is Role.FACILITATOR:
            wanted = [keys.group(group_id), keys.staff(group_id, caller.subject_id or ""), live_key]
            found = self.room.fetch(wanted)
            _, name = staff_name(self.groups, caller, group_id, found)
            author = _Author(caller.subject_id or "", FACILITATOR, name, None)
            return author, live_registry(found.get(live_key))
        self.groups.inside(caller, group_id)  # a member of another group: 404 or 403
        raise ForbiddenError("Only this group's members and facilitators can do that.")

    # --- messages ------------------------------------------------------------------------

    def post(self, caller: Caller, group_id: str, raw_body: str) -> PostedMessage:
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
        author: _Author | None = None
        try:
            author, live = self._author(caller, group_id, now)
            message = self._write(group_id, author, body, assessment, now)
        except (ForbiddenError, RateLimitedError) as exc:
            if not assessment.flagged or exc.code not in ("muted", "rate_limited"):
                raise
            self._record_crisis(group_id, None, assessment.category, now, write=True)
            country = exc.country if isinstance(exc, MutedError) else (author.country if author else None)
            raise RefusedWithHelpError(exc, crisis_lines.for_country(country)) from exc
        if assessment.flagged:
            self._record_crisis(group_id, message.message_id, assessment.category, now, write=False)
        self.live.message(group_id, live, message, now)
        return PostedMessage(
            message=message_view(message, caller),
            resources=crisis_lines.for_country(author.country) if assessment.flagged else None,
            notice=rules.MASKED_NOTICE if masked else None,
            alerted=assessment.flagged,
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
            expires_at=now + retention(),
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
            expires_at=now + retention(),
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
        floor = rules.seq_floor(now - retention())
        page = self.room.messages(group_id, floor, before=before, limit=limit, now=now)
        return Listing([message_view(item, caller) for item in page.items], page.next)

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
