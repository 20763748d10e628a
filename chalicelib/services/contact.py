"""A member's contact details: set, verify with a 6-digit code, remove.

Nothing is ever sent to an address except its verification code until the
member proves they hold it. Codes expire in 10 minutes and allow 5 tries; they
are kept only as keyed hashes. Contact changes are rate limited per member and
codes per destination, so nobody can use Hearth to flood a number or inbox.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from chalicelib import crypto
from chalicelib.domain import sms_text
from chalicelib.domain.contact import ContactError, normalise_email, normalise_phone
from chalicelib.domain.identity import Caller
from chalicelib.errors import ConflictError, ForbiddenError, GoneError, ValidationError
from chalicelib.notify import pace
from chalicelib.notify.senders import Sender, sender
from chalicelib.observability import count
from chalicelib.responses import Me
from chalicelib.services.membership import MembershipService
from chalicelib.services.sms_policy import SmsPolicy
from chalicelib.store.counters import CounterRepository
from chalicelib.store.email import EmailSuppressions
from chalicelib.store.members import OPTED_OUT, PENDING, VERIFIED, MemberRepository, NewContact

CODE_LIFETIME = timedelta(minutes=10)
CODE_TRIES = 5
CHANGES_PER_HOUR = 10
CODES_PER_DESTINATION_PER_HOUR = 3
CHANGES_PER_IP_PER_HOUR = 30

_KIND = {"sms": "phone", "email": "email"}


def code_hash(member_id: str, channel: str, code: str) -> str:
    return crypto.blind_index("code", f"{member_id}:{channel}:{code}")


def code_sms(code: str) -> str:
    return (
        f"{sms_text.PROGRAM} code: {code}. It expires in 10 minutes. If you did not ask for it, ignore this."
    )


def code_email(code: str) -> tuple[str, str]:
    subject = f"Your {sms_text.PROGRAM} code"
    text = (
        f"Your {sms_text.PROGRAM} verification code is {code}.\n\n"
        "It expires in 10 minutes. If you did not ask for it, you can ignore this email."
    )
    return subject, text


class ContactService:
    def __init__(
        self,
        membership: MembershipService | None = None,
        members: MemberRepository | None = None,
        counters: CounterRepository | None = None,
        outbound: Callable[[], Sender] = sender,
        policy: SmsPolicy | None = None,
        suppressions: EmailSuppressions | None = None,
    ) -> None:
        self.membership = membership or MembershipService()
        self.members = members or MemberRepository()
        self.counters = counters or CounterRepository()
        self.outbound = outbound
        self.policy = policy or SmsPolicy(counters=self.counters)
        self.suppressions = suppressions or EmailSuppressions()

    def set(
        self,
        caller: Caller,
        changes: dict[str, str | None],
        now: datetime | None = None,
        client_ip: str | None = None,
    ) -> Me:
        """Apply contact changes: a value starts verification, None removes the channel."""
        now = now or datetime.now(UTC)
        member = self.membership.member(caller)
        normalised = {channel: self._normalise(channel, raw) for channel, raw in changes.items()}
        # counters are keyed by blind indexes: they say nothing about anyone once they expire
        subject = crypto.blind_index("member", member.member_id)
        self.counters.hit("contact-change", subject, CHANGES_PER_HOUR, 3600, now)
        if client_ip:
            self.counters.hit(
                "contact-ip", crypto.blind_index("ip", client_ip), CHANGES_PER_IP_PER_HOUR, 3600, now
            )
        contacts: dict[str, NewContact | None] = {}
        codes: list[tuple[str, str, str]] = []
        for channel, value in normalised.items():
            if value is None:
                contacts[channel] = None
                continue
            blind = crypto.blind_index(_KIND[channel], value)
            if channel == "sms":
                self._refuse_banned(member.group_id, blind)
            current_hash = member.phone_hash if channel == "sms" else member.email_hash
            current_status = member.phone_status if channel == "sms" else member.email_status
            if blind == current_hash and current_status == VERIFIED:
                continue
            # a number that texted STOP, or an address that bounced or complained, is opted out
            if channel == "sms":
                opted_out = self.policy.opted_out(value)
            else:
                opted_out = self.suppressions.suppressed(blind)
            if not opted_out:
                self.counters.hit("code-destination", blind, CODES_PER_DESTINATION_PER_HOUR, 3600, now)
                if channel == "sms":
                    self.policy.spend(value, now)
            code = f"{secrets.randbelow(10**6):06d}"
            contacts[channel] = NewContact(
                sealed=crypto.seal(_KIND[channel], value),
                blind=blind,
                status=OPTED_OUT if opted_out else PENDING,
                code_hash=code_hash(member.member_id, channel, code),
                code_expires=now + CODE_LIFETIME,
                code_tries=CODE_TRIES,
            )
            if not opted_out:  # an opted-out contact gets nothing, not even a code
                codes.append((channel, value, code))
        self.members.change_contact(member, contacts)
        for channel, value, code in codes:
            self._send_code(channel, value, code)
        return self.membership.view(member)

    def _refuse_banned(self, group_id: str, phone_hash: str | None) -> None:
        """A phone removed from this group is never bound to a membership of it again."""
        if phone_hash and self.membership.phone_banned(group_id, phone_hash):
            raise ForbiddenError("This number was removed from this group.", code="removed")

    def _normalise(self, channel: str, raw: str | None) -> str | None:
        if raw is None:
            return None
        field = "phone" if channel == "sms" else "email"
        try:
            value = normalise_phone(raw) if channel == "sms" else normalise_email(raw)
        except ContactError as exc:
            raise ValidationError({field: str(exc)}) from exc
        if channel == "sms" and not self.policy.country_allowed(value):
            raise ValidationError({field: "Hearth cannot send texts to numbers in this country."})
        return value

    def _send_code(self, channel: str, value: str, code: str) -> None:
        outbound = self.outbound()
        with pace.sending(pace.INTERACTIVE):  # a person is waiting for it: ahead of reminders
            if channel == "sms":
                outbound.sms(value, code_sms(code))
            else:
                subject, text = code_email(code)
                outbound.email(value, subject, text)
        count("verification_codes_sent", channel=channel)

    def verify(self, caller: Caller, channel: str, code: str, now: datetime | None = None) -> Me:
        now = now or datetime.now(UTC)
        member = self.membership.member(caller)
        prefix = "phone" if channel == "sms" else "email"
        status = getattr(member, f"{prefix}_status")
        if getattr(member, f"{prefix}_enc") is None:
            raise ConflictError("There is nothing to verify on this channel.", code="nothing_to_verify")
        if status == VERIFIED:
            return self.membership.view(member)
        if status != PENDING:
            raise ConflictError("This contact cannot be verified now.", code="not_pending")
        expected = getattr(member, f"{prefix}_code_hash")
        if expected is None:
            raise GoneError("This code has expired; ask for a new one.", code="code_expired")
        left = self.members.spend_try(member, channel, now)  # before comparing: five tries mean five
        if not hmac.compare_digest(expected, code_hash(member.member_id, channel, code)):
            raise ValidationError({"code": f"That code is not right; {left} tries left."})
        if channel == "sms":
            self._refuse_banned(member.group_id, member.phone_hash)
        self.members.contact_verified(member, channel, expected)
        count("contacts_verified", channel=channel)
        return self.membership.view(member)
