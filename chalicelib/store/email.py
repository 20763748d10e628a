"""Email addresses Hearth must not write to again: SES reported a hard bounce or a complaint.

Kept by the keyed hash of the address, never the address, and never expiring: like an SMS
opt-out, it outlives the memberships that used the address.
"""

from __future__ import annotations

from datetime import datetime

from pynamodb.attributes import UnicodeAttribute, UTCDateTimeAttribute

from chalicelib.store import keys
from chalicelib.store.base import dependency
from chalicelib.store.tables import HearthItem, bind


class EmailSuppressionItem(HearthItem, discriminator="email_suppression"):
    reason = UnicodeAttribute()  # "bounce" or "complaint"
    reported_at = UTCDateTimeAttribute()


class EmailSuppressions:
    def suppress(self, email_hash: str, reason: str, at: datetime) -> None:
        """Stop email to the address (idempotent: a repeated report writes the same item)."""
        bind()
        key = keys.email_suppression(email_hash)
        with dependency():
            EmailSuppressionItem(key.pk, key.sk, reason=reason, reported_at=at).save()

    def suppressed(self, email_hash: str) -> bool:
        bind()
        key = keys.email_suppression(email_hash)
        with dependency():
            try:
                EmailSuppressionItem.get(key.pk, key.sk, consistent_read=True)
            except EmailSuppressionItem.DoesNotExist:
                return False
        return True
