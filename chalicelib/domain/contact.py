"""Contact values: parsing, normalising and masking phone numbers and emails.

Normalised forms are what gets encrypted and blind-indexed, so the same person
typing `(614) 555-0123` or `+1 614 555 0123` maps to one value.
"""

from __future__ import annotations

import re

_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+$")
MAX_EMAIL = 254


class ContactError(ValueError):
    """A phone number or email that Hearth cannot use."""


def normalise_phone(raw: str, default_region: str = "US") -> str:
    """E.164 form of a valid phone number."""
    import phonenumbers  # on first use: most handlers never parse a number, and it costs ~25 ms to import

    try:
        parsed = phonenumbers.parse(raw.strip(), default_region)
    except phonenumbers.NumberParseException as exc:
        raise ContactError("Not a phone number.") from exc
    if not phonenumbers.is_valid_number(parsed):
        raise ContactError("Not a valid phone number.")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def normalise_email(raw: str) -> str:
    """Trimmed email with a lower-cased domain (the local part may be case-sensitive)."""
    value = raw.strip()
    if len(value) > MAX_EMAIL or not _EMAIL.match(value):
        raise ContactError("Not a valid email address.")
    local, _, domain = value.rpartition("@")
    return f"{local}@{domain.lower()}"


def mask_phone(e164: str) -> str:
    return f"•••• {e164[-4:]}"


def mask_email(email: str) -> str:
    local, _, domain = email.rpartition("@")
    return f"{local[:1]}•••@{domain}"
