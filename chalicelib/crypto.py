"""Contact details at rest: authenticated encryption and keyed blind indexes.

Phone numbers and emails are sealed with AES-256-GCM (the kind of value is bound
as associated data, so a sealed phone cannot pass as an email) and looked up
only through an HMAC-SHA256 of the normalised value under a separate derived key.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from functools import cache

from chalicelib import keyring
from chalicelib.errors import ConfigurationError

_VERSION = b"\x01"
_NONCE_BYTES = 12


@cache
def _keys(master: bytes) -> tuple[bytes, bytes]:
    encrypt = hmac.new(master, b"hearth/contact/encrypt/v1", hashlib.sha256).digest()
    index = hmac.new(master, b"hearth/contact/index/v1", hashlib.sha256).digest()
    return encrypt, index


def seal(kind: str, plaintext: str) -> bytes:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM  # on first use: a 13 MB native module

    encrypt_key, _ = _keys(keyring.contact_key())
    nonce = os.urandom(_NONCE_BYTES)
    sealed = AESGCM(encrypt_key).encrypt(nonce, plaintext.encode("utf-8"), kind.encode("ascii"))
    return _VERSION + nonce + sealed


def open_sealed(kind: str, sealed: bytes) -> str:
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    encrypt_key, _ = _keys(keyring.contact_key())
    if sealed[:1] != _VERSION:
        raise ConfigurationError("Unknown contact encryption version.")
    nonce = sealed[1 : 1 + _NONCE_BYTES]
    try:
        plain = AESGCM(encrypt_key).decrypt(nonce, sealed[1 + _NONCE_BYTES :], kind.encode("ascii"))
    except InvalidTag as exc:
        raise ConfigurationError("Contact data does not match the configured key.") from exc
    return plain.decode("utf-8")


def blind_index(kind: str, normalised: str) -> str:
    """A stable keyed hash of a normalised contact value, for lookups and opt-outs."""
    _, index_key = _keys(keyring.contact_key())
    return hmac.new(index_key, f"{kind}:{normalised}".encode(), hashlib.sha256).hexdigest()


def sign(purpose: str, payload: str) -> str:
    """`payload` with a keyed signature, for links that act without a login (unsubscribe)."""
    _, index_key = _keys(keyring.contact_key())
    mac = hmac.new(index_key, f"sign:{purpose}:{payload}".encode(), hashlib.sha256).hexdigest()[:32]
    return f"{payload}.{mac}"


def verify(purpose: str, token: str) -> str | None:
    """The payload of a token made by `sign`, or None if it was not."""
    payload = token.rpartition(".")[0]
    if not payload or not hmac.compare_digest(sign(purpose, payload), token):
        return None
    return payload
