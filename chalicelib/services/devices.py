"""One membership on several devices: sign-in links, the device list, signing a device out.

Every sign-in makes its own device token for the same membership; nothing signs a device
out but the member (or leaving, erasure and removal, which end them all). A sign-in link
goes only to a verified phone or email, works once, and lapses after `LINK_LIFETIME`; its
use and the new device are one transaction, so two clicks make one device and a failure
leaves the link usable. Links are rate limited per member, and by SMS also count against
the country's daily cap, like verification codes.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from chalicelib import crypto
from chalicelib.domain import sms_text
from chalicelib.domain.identity import Caller, Role, hash_token, new_token
from chalicelib.domain.templates import check_sms
from chalicelib.errors import ConflictError, GoneError, NotFoundError, RateLimitedError
from chalicelib.ids import new_id
from chalicelib.notify.senders import Sender, sender
from chalicelib.observability import count
from chalicelib.responses import Device, Joined
from chalicelib.services.membership import MembershipService
from chalicelib.services.sms_policy import SmsPolicy
from chalicelib.settings import get_settings
from chalicelib.store.counters import CounterRepository
from chalicelib.store.credentials import CredentialRepository
from chalicelib.store.members import (
    ACTIVE,
    DevicesChangedError,
    MemberItem,
    MemberRepository,
    device_entries,
)
from chalicelib.store.sms import LoginItem, SmsRepository

LOGIN_BYTES = 24
LINK_LIFETIME = timedelta(minutes=15)
LINKS_PER_HOUR = 3
ATTEMPTS = 3  # a device signed in or out at the same moment makes the change read again
TOO_MANY_LINKS = "Several sign-in links were sent just now. Please use the last one, or wait a little."


class DeviceService:
    def __init__(
        self,
        membership: MembershipService | None = None,
        members: MemberRepository | None = None,
        credentials: CredentialRepository | None = None,
        sms: SmsRepository | None = None,
        counters: CounterRepository | None = None,
        policy: SmsPolicy | None = None,
        outbound: Callable[[], Sender] = sender,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.membership = membership or MembershipService()
        self.members = members or self.membership.members
        self.credentials = credentials or self.membership.credentials
        self.sms = sms or SmsRepository()
        self.counters = counters or CounterRepository()
        self.policy = policy or SmsPolicy(self.sms, self.counters)
        self.outbound = outbound
        self.clock = clock

    # --- the member's devices ---------------------------------------------------------------

    def devices(self, caller: Caller) -> list[Device]:
        member = self.membership.member(caller)
        entries = device_entries(member)
        seen = self.credentials.many(entry["token_hash"] for entry in entries.values())
        views = [
            Device(
                device_id=device_id,
                created_at=datetime.fromisoformat(entry["created_at"]),
                last_seen_at=None if (item := seen.get(entry["token_hash"])) is None else item.last_seen_at,
                current=device_id == caller.device_id,
            )
            for device_id, entry in entries.items()
            if entry["token_hash"] in seen  # a credential already gone is no device
        ]
        return sorted(views, key=lambda view: view.created_at)

    def sign_out(self, caller: Caller, device_id: str) -> None:
        """That device's token stops working; 404 for a device this membership does not have."""
        member = self.membership.member(caller)
        for attempt in range(ATTEMPTS):
            entry = device_entries(member).get(device_id)
            if entry is None:
                raise NotFoundError("This membership has no such device.")
            try:
                self.members.remove_device(
                    member, device_id, self.credentials.item(entry["token_hash"], caller)
                )
                count("devices_signed_out")
                return
            except DevicesChangedError:
                if attempt == ATTEMPTS - 1:
                    raise
                member = self.membership.member(caller)

    # --- sign-in links ----------------------------------------------------------------------

    def send_link(self, caller: Caller, channel: str) -> None:
        """Send a one-time link that signs another device into this membership, to a verified channel."""
        now = self.clock()
        member = self.membership.member(caller)
        prefix = "phone" if channel == "sms" else "email"
        sealed = getattr(member, f"{prefix}_enc")
        if sealed is None or getattr(member, f"{prefix}_status") != "verified":
            raise ConflictError(
                "Verify this phone or email first; the link goes only to a verified one.",
                code="not_verified",
            )
        try:
            self.counters.hit(
                "sign-in-link", crypto.blind_index("member", member.member_id), LINKS_PER_HOUR, 3600, now
            )
        except RateLimitedError as exc:
            raise RateLimitedError(exc.retry_after_seconds, TOO_MANY_LINKS) from exc
        address = crypto.open_sealed(prefix, sealed)
        if channel == "sms":
            self.policy.spend(address, now)
        text = sms_text.sign_in_reply(self.link(member, now), int(LINK_LIFETIME.total_seconds() // 60))
        if channel == "sms":
            self.outbound().sms(address, check_sms(text))
        else:
            self.outbound().email(address, f"Your {sms_text.PROGRAM} sign-in link", text)
        count("sign_in_links_sent", channel=channel)

    def link(self, member: MemberItem, now: datetime, token: str | None = None) -> str:
        """A one-time sign-in link: with `token`, it hands over that token (a first sign-in after a
        join by text); without, it signs in a new device."""
        login = secrets.token_urlsafe(LOGIN_BYTES)
        self.sms.create_login(
            hash_token(login),
            member.group_id,
            member.member_id,
            None if token is None else crypto.seal("token", token),
            now,
            **({} if token is not None else {"lifetime": LINK_LIFETIME}),
        )
        return f"{get_settings().public_base_url}/g/{member.group_id}#login={login}"

    def sign_in(self, login: str, now: datetime | None = None) -> Joined:
        """Exchange a sign-in link, once, for a token of its own; other devices stay signed in."""
        now = now or self.clock()
        token_hash = hash_token(login)
        item = self.sms.login(token_hash, now)
        member = self.members.get(item.group_id, item.member_id)
        if member is None or member.status != ACTIVE:
            raise GoneError("This sign-in link has expired or was used.")
        if item.token_enc:  # the first sign-in after a join by text: that join's device
            self.sms.use_login(token_hash, now)
            token = crypto.open_sealed("token", item.token_enc)
        else:
            token = self._new_device(member, item, now)
        count("sign_ins")
        return Joined(
            member_id=member.member_id,
            group_id=member.group_id,
            handle=member.handle,
            token=token,
            timezone=member.timezone,
        )

    def _new_device(self, member: MemberItem, login: LoginItem, now: datetime) -> str:
        token, device_id = new_token(Role.MEMBER), new_id("dev")
        caller = Caller(
            Role.MEMBER, subject_id=member.member_id, group_id=member.group_id, device_id=device_id
        )
        credential = self.credentials.item(hash_token(token), caller)
        for attempt in range(ATTEMPTS):
            try:
                self.members.add_device(member, device_id, hash_token(token), credential, now, login=login)
                return token
            except DevicesChangedError:
                found = self.members.get(member.group_id, member.member_id)
                if found is None or attempt == ATTEMPTS - 1:
                    raise
                member = found
        raise DevicesChangedError("Your devices changed meanwhile; try again.")
