"""Inbound SMS: one entry point for the SNS handler and the local `/v1/dev/sms` route.

Keywords (case-insensitive, trimmed, punctuation-tolerant): `JOIN <code>` joins
the group with a generated handle, marks the number verified (it texted us) and
replies with a one-time sign-in link; HELP/INFO; the opt-out words opt the
number out everywhere with one confirmation; START/UNSTOP/YES opt back in;
anything else gets a short help reply at most once a day. A message delivered
twice is handled once: it is claimed (with a lease) before the work and marked handled
only after the work and its replies, so a failed or interrupted delivery is redone
whole (each step idempotent); a crash after a reply was sent and before the mark can
send that reply twice.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from chalicelib.domain import crisis_lines, sms_text
from chalicelib.domain.identity import ANONYMOUS
from chalicelib.domain.invites import normalise_code
from chalicelib.domain.templates import check_sms
from chalicelib.errors import ConflictError, ForbiddenError, GoneError, NotFoundError, RateLimitedError
from chalicelib.notify import pace
from chalicelib.notify.senders import Sender, sender
from chalicelib.observability import count
from chalicelib.services.devices import DeviceService
from chalicelib.services.membership import MembershipService
from chalicelib.services.sms_policy import SmsPolicy, country_of, phone_hash
from chalicelib.settings import get_settings
from chalicelib.store.counters import CounterRepository
from chalicelib.store.members import ACTIVE, AlreadyMemberError, MemberItem, MemberRepository
from chalicelib.store.sms import DuplicateMessageError, SmsRepository

LOGIN_BYTES = 24
BAD_CODES_PER_HOUR = 3
CRISIS_REPLIES_PER_DAY = 5


class InboundSms:
    def __init__(
        self,
        membership: MembershipService | None = None,
        members: MemberRepository | None = None,
        sms: SmsRepository | None = None,
        counters: CounterRepository | None = None,
        policy: SmsPolicy | None = None,
        outbound: Callable[[], Sender] = sender,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        devices: DeviceService | None = None,
    ) -> None:
        self.clock = clock  # wall time, for the claim's lease (`at` is when the text was sent)
        self.membership = membership or MembershipService()
        self.members = members or MemberRepository()
        self.sms = sms or SmsRepository()
        self.counters = counters or CounterRepository()
        self.policy = policy or SmsPolicy(self.sms, self.counters)
        self.outbound = outbound
        self.devices = devices or DeviceService(
            self.membership, self.members, sms=self.sms, counters=self.counters
        )

    def handle(
        self, from_number: str, body: str, *, message_id: str, at: datetime | None = None
    ) -> list[str]:
        """Act on one inbound text (E.164 sender) and send the replies; returns what was sent."""
        at = at or datetime.now(UTC)
        try:
            self.sms.claim(message_id, self.clock())
        except DuplicateMessageError:
            count("inbound_sms_duplicates")
            return []
        try:
            sent = self._act(from_number, body, message_id, at)
        except Exception:
            self.sms.unclaim(message_id)  # the redelivery does it all again: each step is idempotent
            raise
        self.sms.handled(message_id)  # after the work and its replies, never before
        return sent

    def _act(self, from_number: str, body: str, message_id: str, at: datetime) -> list[str]:
        keyword, rest = sms_text.parse_keyword(body)
        count("inbound_sms", keyword=keyword if keyword in _KNOWN else "other")
        if keyword in sms_text.OPT_OUT_WORDS:
            replies = self._opt_out(from_number, at, message_id)
        elif keyword in sms_text.OPT_IN_WORDS:
            replies = self._opt_in(from_number, at, message_id)
        elif keyword in sms_text.HELP_WORDS:
            replies = [sms_text.help_reply(_support())]
        elif keyword == sms_text.JOIN:
            replies = self._join(from_number, rest, at)
        elif _reads_as_crisis(body):
            replies = self._crisis(from_number, at)
        else:
            replies = self._unknown(from_number, at)
        sent = []
        for reply in replies:
            if keyword in sms_text.OPT_OUT_WORDS or self.policy.may_send(from_number, at):
                with pace.sending(pace.INTERACTIVE):  # they just texted: ahead of reminders
                    self.outbound().sms(from_number, check_sms(reply))
                sent.append(reply)
        return sent

    # --- opting out and in ----------------------------------------------------------------

    def _opt_out(self, number: str, at: datetime, message_id: str) -> list[str]:
        hashed = phone_hash(number)
        change = self.sms.set_opt_out(hashed, True, at, message_id)
        if not change.applies:
            return []  # a later START already decided
        for member in self.members.by_phone(hashed):
            # an opted-out member is written too: its time then outranks a START sent earlier
            self.members.phone_status_from_sms(
                member, "opted_out", at, only_if={"verified", "pending", "opted_out"}
            )
        if not change.changed:
            return []  # already out: one confirmation only
        count("sms_opt_outs")
        return [sms_text.OPTED_OUT_REPLY]

    def _opt_in(self, number: str, at: datetime, message_id: str) -> list[str]:
        hashed = phone_hash(number)
        change = self.sms.set_opt_out(hashed, False, at, message_id)
        if not change.applies:
            return []
        for member in self.members.by_phone(hashed):
            # they texted from this number, which proves they hold it
            self.members.phone_status_from_sms(member, "verified", at, only_if={"opted_out"})
        if not change.changed:
            return []
        count("sms_opt_ins")
        return [sms_text.OPTED_IN_REPLY]

    # --- joining ---------------------------------------------------------------------------

    def _join(self, number: str, rest: str, at: datetime) -> list[str]:
        hashed = phone_hash(number)
        if self.sms.opted_out(hashed):
            return []  # opted out numbers get nothing until START
        code = normalise_code(rest)
        if code is None:
            return self._bad_code(hashed, at)
        invite = self.membership.invites.get(code)
        group_id = None if invite is None else invite.group_id
        if group_id is not None and self.membership.phone_banned(
            group_id, hashed
        ):  # before "already a member"
            return [sms_text.REMOVED_REPLY]
        # a member who joined on the web and verified this phone later holds no phone item
        # only a phone its member verified: a number someone else typed in signs nobody into theirs
        mine = [
            m
            for m in self.members.by_phone(hashed)
            if m.group_id == group_id and m.status == ACTIVE and m.phone_status == "verified"
        ]
        if mine:  # already a member: a link that signs this phone in as one more device
            return [self._welcome(mine[0], None, at)]
        try:
            joined = self.membership.join(ANONYMOUS, code, None, None, phone=number, now=at)
        except AlreadyMemberError as exc:  # texted twice, or a redelivery after the join landed
            member = (
                None
                if exc.member_id is None or group_id is None
                else self.members.get(group_id, exc.member_id)
            )
            if member is None:
                return [sms_text.CLOSED_REPLY]
            if member.status != ACTIVE:
                return [sms_text.REMOVED_REPLY]
            return [self._welcome(member, None, at)]
        except NotFoundError:
            return self._bad_code(hashed, at)
        except (GoneError, ConflictError):
            return [sms_text.CLOSED_REPLY]
        except ForbiddenError:
            return [sms_text.REMOVED_REPLY]
        member = self.members.require(joined.group_id, joined.member_id)
        count("sms_joins")
        return [self._welcome(member, joined.token, at)]

    def _welcome(self, member: MemberItem, token: str | None, at: datetime) -> str:
        """The reply with a sign-in link: the new membership's own token, or a new device."""
        return sms_text.joined_reply(member.handle, self.devices.link(member, at, token))

    def _bad_code(self, hashed: str, at: datetime) -> list[str]:
        try:
            self.counters.hit("sms-bad-code", hashed, BAD_CODES_PER_HOUR, 3600, at)
        except RateLimitedError:
            return []  # guessing codes by SMS earns silence
        return [sms_text.BAD_CODE_REPLY]

    def _crisis(self, number: str, at: datetime) -> list[str]:
        """Crisis words get the help the room shows, for the number's country (a few a day)."""
        try:
            self.counters.hit("sms-crisis", phone_hash(number), CRISIS_REPLIES_PER_DAY, 86400, at)
        except RateLimitedError:
            return []
        count("crisis_flags", channel="sms")
        return [sms_text.crisis_reply(crisis_lines.for_country(country_of(number)))]

    def _unknown(self, number: str, at: datetime) -> list[str]:
        try:
            self.counters.hit("sms-unknown", phone_hash(number), 1, 86400, at)
        except RateLimitedError:
            return []
        return [sms_text.UNKNOWN_REPLY]


_KNOWN = sms_text.OPT_OUT_WORDS | sms_text.OPT_IN_WORDS | sms_text.HELP_WORDS | {sms_text.JOIN}


def _reads_as_crisis(body: str) -> bool:
    from chalicelib.domain import crisis  # its patterns take ~50 ms to compile: only for free text

    return crisis.assess(body).flagged


def _support() -> str:
    return get_settings().public_base_url.removeprefix("https://").removeprefix("http://")
