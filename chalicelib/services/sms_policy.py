"""Who Hearth may text: the one gate every SMS to a number passes.

- a number that opted out (STOP) gets nothing but the confirmation of that;
- only numbers in the allowed countries (US and CA unless configured) are texted;
- texts that an outsider could trigger (verification codes, replies to inbound
  SMS) count against a daily cap per destination country, so nobody can use
  Hearth to pump SMS traffic. Reminders and notices go only to numbers already
  verified through that path, so they are not counted again.
"""

from __future__ import annotations

from datetime import datetime

from chalicelib import crypto
from chalicelib.errors import RateLimitedError
from chalicelib.settings import get_settings
from chalicelib.store.counters import CounterRepository
from chalicelib.store.sms import SmsRepository

DAY = 86400


def country_of(e164: str) -> str | None:
    import phonenumbers  # on first use, as in domain.contact

    try:
        return phonenumbers.region_code_for_number(phonenumbers.parse(e164))
    except phonenumbers.NumberParseException:
        return None


def phone_hash(e164: str) -> str:
    return crypto.blind_index("phone", e164)


class SmsPolicy:
    def __init__(self, sms: SmsRepository | None = None, counters: CounterRepository | None = None) -> None:
        self.sms = sms or SmsRepository()
        self.counters = counters or CounterRepository()

    @staticmethod
    def country_allowed(e164: str) -> bool:
        return country_of(e164) in get_settings().sms_countries

    def opted_out(self, e164: str) -> bool:
        return self.sms.opted_out(phone_hash(e164))

    def spend(self, e164: str, now: datetime) -> None:
        """Count one outsider-triggered SMS against its country's daily cap (429 when spent)."""
        country = country_of(e164) or "??"
        self.counters.hit("sms-country", country, get_settings().sms_daily_cap_per_country, DAY, now)

    def may_send(self, e164: str, now: datetime) -> bool:
        """Whether an outsider-triggered SMS may go to `e164` now (and count it if so)."""
        if not self.country_allowed(e164) or self.opted_out(e164):
            return False
        try:
            self.spend(e164, now)
        except RateLimitedError:
            return False
        return True
