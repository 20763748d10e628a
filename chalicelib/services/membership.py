"""Anonymous membership: joining with a code, the member's own view, leaving and erasure.

Joining is one transaction after two reads (the invite, its group): an invite use,
a seat and a handle on the group, the membership with its credentials, and for a
join by SMS the phone's one membership in that group. Nothing is ever half-done,
so nothing needs giving back; erasure is one transaction the same way.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from chalicelib import crypto
from chalicelib.domain import crisis_lines, handles, preferences
from chalicelib.domain.contact import mask_email, mask_phone
from chalicelib.domain.identity import Caller, Role, hash_token, new_token
from chalicelib.domain.invites import normalise_code
from chalicelib.domain.timezones import TimezoneError, zone
from chalicelib.errors import (
    ConfigurationError,
    ConflictError,
    ForbiddenError,
    NotFoundError,
    UnauthorizedError,
    ValidationError,
)
from chalicelib.ids import new_id
from chalicelib.observability import count, logger
from chalicelib.responses import ContactChannel, Joined, Me
from chalicelib.services.groups import MEMBER_CEILING, GroupService
from chalicelib.services.sms_policy import phone_hash
from chalicelib.settings import get_settings
from chalicelib.store.credentials import CredentialRepository
from chalicelib.store.groups import GroupRepository, InviteRepository
from chalicelib.store.members import (
    ACTIVE,
    REMOVED,
    VERIFIED,
    DevicesChangedError,
    MemberItem,
    MemberRepository,
    device_entry,
    device_tokens,
)

GENERATED_ATTEMPTS = 6
FEED_TOKEN_BYTES = 24
DEVICE_RACE_ATTEMPTS = 3  # a device signing in during erasure or removal makes it read again


UNREADABLE = "••••"  # what a sealed value shows while the configured key cannot open it


def _opened(kind: str, sealed: bytes) -> str | None:
    """A sealed value, or None (logged) when the key cannot open it: the profile still answers."""
    try:
        return crypto.open_sealed(kind, sealed)
    except ConfigurationError:
        logger().error("sealed value unreadable with the configured key", extra={"kind": kind})
        return None


def calendar_url(feed_token: str) -> str:
    return f"{get_settings().public_base_url}/v1/feeds/{feed_token}/calendar.ics"


def checked_timezone(name: str, field: str = "timezone") -> str:
    try:
        zone(name)
    except TimezoneError as exc:
        raise ValidationError({field: str(exc)}) from exc
    return name


def checked_country(code: str) -> str:
    """An ISO 3166-1 alpha-2 code the tz database knows, upper-cased; 422 otherwise."""
    if code.upper() not in crisis_lines.countries():
        raise ValidationError({"country": "Use a two-letter country code (ISO 3166-1), such as DE."})
    return code.upper()


def checked_handle(raw: str) -> tuple[str, str]:
    try:
        handle = handles.clean_handle(raw)
    except handles.HandleError as exc:
        raise ValidationError({"handle": str(exc)}) from exc
    return handle, handles.handle_key(handle)


Eraser = Callable[[MemberItem], None]


class MembershipService:
    def __init__(
        self,
        groups: GroupRepository | None = None,
        invites: InviteRepository | None = None,
        members: MemberRepository | None = None,
        credentials: CredentialRepository | None = None,
        erasers: list[Eraser] | None = None,
        rng: random.Random | None = None,
        access: GroupService | None = None,
        lead_times_used: Callable[[set[int]], None] | None = None,
        releasers: list[Eraser] | None = None,
        on_removed: list[Callable[[Caller, MemberItem], None]] | None = None,
    ) -> None:
        self.groups = groups or GroupRepository()
        self.invites = invites or InviteRepository()
        self.members = members or MemberRepository()
        self.credentials = credentials or CredentialRepository()
        self.erasers = erasers or []  # what other features keep about a member, erased with it
        self.rng = rng or random.SystemRandom()
        self.access = access or GroupService(self.groups, self.invites)
        self.lead_times_used = lead_times_used  # tells the reminder sweep which lead times to look for
        self.releasers = releasers or []  # what a removed member gives back (seats in sessions)
        self.on_removed = on_removed or []  # told once a removal happened (the room's audit trail)

    # --- joining -------------------------------------------------------------------------

    def join(
        self,
        caller: Caller,
        raw_code: str,
        handle: str | None,
        timezone: str | None,
        *,
        phone: str | None = None,
        now: datetime | None = None,
    ) -> Joined:
        """Join a group with an invite code; `phone` (E.164) for a join texted from that number."""
        now = now or datetime.now(UTC)
        code = normalise_code(raw_code)
        if code is None:
            raise NotFoundError("No group has this invite code.")
        wanted = [checked_handle(handle)] if handle else None
        if timezone is not None:
            checked_timezone(timezone)
        if caller.removed:
            invite = self.invites.get(code)
            if invite is not None and invite.group_id == caller.group_id:
                raise ForbiddenError("You were removed from this group.", code="removed")

        invite = self.invites.get(code)
        if invite is None:
            raise NotFoundError("No group has this invite code.")
        if caller.role is Role.MEMBER and caller.group_id == invite.group_id:
            raise ConflictError("You are already a member of this group.", code="already_member")
        group = self.groups.get(invite.group_id)
        if group is None:
            raise NotFoundError("No group has this invite code.")
        if wanted:
            self._not_staff(group.group_id, wanted[0][1])
        candidates = wanted or [
            (name, handles.handle_key(name))
            for name in handles.generated_candidates(self.rng, GENERATED_ATTEMPTS)
        ]
        for index, (display, key) in enumerate(candidates):
            try:
                created = self._enrol(
                    code, group.group_id, display, key, timezone or group.timezone, phone, now
                )
            except ConflictError as exc:
                if exc.code == "handle_taken" and wanted is None and index < len(candidates) - 1:
                    continue
                raise
            count("joins")
            return created
        raise ConflictError("Could not find a free handle; try choosing one.", code="handle_taken")

    def _not_staff(self, group_id: str, handle_key: str) -> None:
        """A member's handle may not read as the name of one of the group's facilitators."""
        if any(handles.handle_key(staff.display_name) == handle_key for staff in self.groups.staff(group_id)):
            raise ValidationError({"handle": "That is a facilitator's name here; choose another handle."})

    def _enrol(
        self, code: str, group_id: str, handle: str, key: str, timezone: str, phone: str | None, now: datetime
    ) -> Joined:
        """One transaction: the invite use, the seat and handle, the membership, its credentials."""
        member_id, device_id = new_id("mem"), new_id("dev")
        token = new_token(Role.MEMBER)
        feed_token = secrets.token_urlsafe(FEED_TOKEN_BYTES)
        caller = Caller(Role.MEMBER, subject_id=member_id, group_id=group_id, device_id=device_id)
        contact: dict[str, Any] = {}
        if phone is not None:  # they texted from this number, which proves they hold it
            contact = {
                "phone_enc": crypto.seal("phone", phone),
                "phone_hash": phone_hash(phone),
                "phone_status": VERIFIED,
            }
        member = self.members.new_item(
            group_id,
            member_id,
            handle=handle,
            handle_key=key,
            timezone=timezone,
            reminders=preferences.ReminderPreferences().to_dict(),
            status=ACTIVE,
            token_hash=hash_token(token),
            devices={device_id: device_entry(hash_token(token), now)},
            devices_rev=0,
            feed_hash=hash_token(feed_token),
            feed_enc=crypto.seal("feed", feed_token),
            **contact,
        )
        self.members.enrol(
            code=code,
            now=now,
            ceiling=MEMBER_CEILING,
            member=member,
            others=[
                self.credentials.item(hash_token(token), caller),
                self.members.feed_item(hash_token(feed_token), group_id, member_id),
            ],
            refused=lambda index: (
                self.invites.refusal(code)
                if index == 0
                else self.groups.refusal(group_id, key, member.phone_hash)
            ),
        )
        return Joined(member_id=member_id, group_id=group_id, handle=handle, token=token, timezone=timezone)

    def phone_banned(self, group_id: str, hashed: str) -> bool:
        """Whether a facilitator removed a member with this phone (blind index) from the group."""
        group = self.groups.get(group_id, consistent=True)
        return group is not None and hashed in (group.banned_phones or set())

    # --- the member's own view -------------------------------------------------------------

    def member(self, caller: Caller) -> MemberItem:
        """The caller's membership, active; 401 if it is gone, 403 if they were removed."""
        if caller.role is not Role.MEMBER or caller.group_id is None or caller.subject_id is None:
            raise ForbiddenError("Only members can do this.")
        found = self.members.get(caller.group_id, caller.subject_id)
        if found is None:
            raise UnauthorizedError("This token is not valid.")
        if found.status == REMOVED:
            raise ForbiddenError("You were removed from this group.", code="removed")
        return found

    def view(self, member: MemberItem) -> Me:
        contact: dict[str, ContactChannel | None] = {"sms": None, "email": None}
        if member.phone_enc is not None:
            phone = _opened("phone", member.phone_enc)
            contact["sms"] = ContactChannel(
                status=member.phone_status or "pending", masked=mask_phone(phone) if phone else UNREADABLE
            )
        if member.email_enc is not None:
            email = _opened("email", member.email_enc)
            contact["email"] = ContactChannel(
                status=member.email_status or "pending", masked=mask_email(email) if email else UNREADABLE
            )
        return Me(
            member_id=member.member_id,
            group_id=member.group_id,
            handle=member.handle,
            timezone=member.timezone,
            reminders=preferences.ReminderPreferences.from_dict(member.reminders).to_dict(),
            contact=contact,
            calendar_url=calendar_url(feed) if (feed := _opened("feed", member.feed_enc)) else None,
            country=crisis_lines.country_for(member.country, member.timezone),
            muted_until=member.muted_until,
            sms_countries=sorted(get_settings().sms_countries),
        )

    def me(self, caller: Caller) -> Me:
        return self.view(self.member(caller))

    def update(
        self,
        caller: Caller,
        *,
        handle: str | None,
        timezone: str | None,
        reminders: preferences.ReminderPreferences | None,
        country: str | None = None,
    ) -> Me:
        member = self.member(caller)
        if timezone is not None:
            checked_timezone(timezone)
        if reminders is not None and self.lead_times_used is not None:
            self.lead_times_used(set(reminders.lead_minutes))
        swapped: tuple[str, str] | None = None
        new_handle = None
        if handle is not None:
            new_handle = checked_handle(handle)
            key = new_handle[1]
            if key != member.handle_key:
                self._not_staff(member.group_id, key)
                self.groups.swap_handle(member.group_id, member.handle_key, key)
                swapped = (member.handle_key, key)
        try:
            self.members.change_profile(
                member,
                timezone=timezone,
                reminders=None if reminders is None else reminders.to_dict(),
                handle=new_handle,
                country=None if country is None else checked_country(country),
            )
        except Exception:
            if swapped is not None:
                self.groups.swap_handle(member.group_id, swapped[1], swapped[0])
            raise
        return self.view(member)

    def rotate_calendar_token(self, caller: Caller) -> str:
        member = self.member(caller)
        feed_token = secrets.token_urlsafe(FEED_TOKEN_BYTES)
        self.members.replace_feed(member, hash_token(feed_token), crypto.seal("feed", feed_token))
        return calendar_url(feed_token)

    # --- leaving -------------------------------------------------------------------------

    def unsubscribe_link(self, token: str, channel: str) -> None:
        """Act on a signed unsubscribe link; 404 for a link Hearth did not make."""
        payload = crypto.verify("unsubscribe", token)
        if payload is None or "." not in payload:
            raise NotFoundError("This link is not valid.")
        group_id, member_id = payload.split(".", 1)
        self.unsubscribe(group_id, member_id, channel)

    def unsubscribe(self, group_id: str, member_id: str, channel: str) -> None:
        """Stop reminders on one channel (the one-click link in every email)."""
        member = self.members.get(group_id, member_id)
        if member is None or member.status != ACTIVE:
            return
        prefs = preferences.ReminderPreferences.from_dict(member.reminders)
        if channel in prefs.channels:
            kept = tuple(c for c in prefs.channels if c != channel)
            updated = preferences.ReminderPreferences(kept, prefs.lead_minutes, prefs.quiet_hours)
            self.members.set_reminders(member, updated.to_dict())
        count("unsubscribes", channel=channel)

    def erase(self, caller: Caller) -> None:
        """Leave the group and erase everything Hearth holds about this membership, now: every
        device it is signed in on stops working in the same transaction."""
        member = self.member(caller)
        for eraser in self.erasers:
            eraser(member)
        for attempt in range(DEVICE_RACE_ATTEMPTS):
            tokens = {member.token_hash, *device_tokens(member).values()}
            try:
                self.members.erase(
                    member,
                    [
                        *(self.credentials.item(token_hash, caller) for token_hash in sorted(tokens)),
                        self.members.feed_item(member.feed_hash, member.group_id, member.member_id),
                    ],
                )
                break
            except DevicesChangedError:
                if attempt == DEVICE_RACE_ATTEMPTS - 1:
                    raise
                member = self.member(caller)  # a device signed in meanwhile: erase it too
        count("erasures")

    def remove(self, caller: Caller, group_id: str, member_id: str) -> None:
        """A facilitator removes a member: refused everywhere, contact wiped, phone barred."""
        self.access.managed(caller, group_id)
        member = self.members.require(group_id, member_id)
        if member.status == REMOVED:
            return
        if member.phone_hash:
            self.groups.ban_phone(group_id, member.phone_hash)
        for release in self.releasers:  # before the status flips, so a retried removal redoes them
            release(member)
        for attempt in range(DEVICE_RACE_ATTEMPTS):
            # every device is refused before the status flips, so a retried removal redoes it, and
            # the flip holds only if no device signed in meanwhile
            for token_hash in sorted({member.token_hash, *device_tokens(member).values()}):
                self.credentials.mark_removed(token_hash)
            try:
                self.members.mark_removed(member)
                break
            except ConflictError:
                if attempt == DEVICE_RACE_ATTEMPTS - 1:
                    raise
                member = self.members.require(group_id, member_id)
        self.groups.release_seat(group_id)
        for hook in self.on_removed:
            hook(caller, member)
        count("removals")
