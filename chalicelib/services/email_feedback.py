"""SES feedback: a hard bounce or a complaint stops all email to that address.

SES publishes the configuration set's `bounce` and `complaint` events (the Hearth
configuration set every email names) to an SNS topic; this applies each one. The address is
recorded as suppressed, by keyed hash, so no later membership can verify it or be written to,
and every membership that uses it reads `opted_out`, so reminders stop and the member sees the
address as not verified. A soft (transient) bounce changes nothing: SES retries it itself.
Addresses are never logged.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

from chalicelib import crypto
from chalicelib.domain.contact import ContactError, normalise_email
from chalicelib.errors import ConflictError
from chalicelib.observability import count, logger
from chalicelib.store.email import EmailSuppressions
from chalicelib.store.members import MemberItem, MemberRepository

OPTED_OUT = "opted_out"


def _reported(event: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """(reason, address) for each recipient the event says must get no more email."""
    kind = str(event.get("eventType") or event.get("notificationType") or "")
    if kind == "Bounce":
        bounce = event.get("bounce") or {}
        if bounce.get("bounceType") == "Permanent":
            for recipient in bounce.get("bouncedRecipients") or []:
                yield "bounce", str(recipient.get("emailAddress", ""))
    elif kind == "Complaint":
        for recipient in (event.get("complaint") or {}).get("complainedRecipients") or []:
            yield "complaint", str(recipient.get("emailAddress", ""))


class EmailFeedback:
    def __init__(
        self, members: MemberRepository | None = None, suppressions: EmailSuppressions | None = None
    ) -> None:
        self.members = members or MemberRepository()
        self.suppressions = suppressions or EmailSuppressions()

    def handle(self, event: Mapping[str, Any], at: datetime | None = None) -> int:
        """Apply one SES event; returns how many memberships stopped getting email."""
        at = at or datetime.now(UTC)
        stopped = 0
        for reason, raw in _reported(event):
            try:
                address = normalise_email(raw)
            except ContactError:
                logger().warning("unreadable address in email feedback", extra={"reason": reason})
                continue
            email_hash = crypto.blind_index("email", address)
            # recorded first: a membership added meanwhile finds the suppression when it verifies
            self.suppressions.suppress(email_hash, reason, at)
            for member in self.members.by_email(email_hash):
                if member.email_status == OPTED_OUT:
                    continue
                try:  # only while the membership still has this address
                    self.members.update(
                        member, [MemberItem.email_status.set(OPTED_OUT)], MemberItem.email_hash == email_hash
                    )
                except ConflictError:
                    continue  # it changed its address meanwhile: the new one is not concerned
                stopped += 1
            count("emails_suppressed", reason=reason)
        return stopped
