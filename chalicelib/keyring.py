"""Secrets Hearth needs at run time: the admin token and the contact key.

Locally they come from the environment (through settings); in AWS from Secrets
Manager, fetched once per process on first use.
"""

from __future__ import annotations

import base64
import binascii
from functools import cache

from chalicelib import aws
from chalicelib.errors import ConfigurationError
from chalicelib.settings import get_settings


@cache
def _secret(arn: str) -> str:
    return str(aws.client("secretsmanager").get_secret_value(SecretId=arn)["SecretString"]).strip()


def admin_token() -> str | None:
    """The configured admin token, or None when no admin access is configured."""
    settings = get_settings()
    if settings.admin_token:
        return settings.admin_token
    if settings.admin_token_secret_arn:
        return _secret(settings.admin_token_secret_arn)
    return None


def contact_key() -> bytes:
    """The 32-byte master key that encrypts and blind-indexes contact details."""
    settings = get_settings()
    raw = settings.contact_key
    if raw is None and settings.contact_key_secret_arn:
        raw = _secret(settings.contact_key_secret_arn)
    if raw is None:
        raise ConfigurationError("HEARTH_CONTACT_KEY is not configured.")
    try:
        key = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))
    except (binascii.Error, ValueError) as exc:
        raise ConfigurationError("HEARTH_CONTACT_KEY must be base64.") from exc
    if len(key) != 32:
        raise ConfigurationError("HEARTH_CONTACT_KEY must hold 32 bytes.")
    return key


def reset() -> None:
    _secret.cache_clear()
