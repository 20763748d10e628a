"""Authentication: from a bearer token to a `Caller`, and role checks.

The admin token is compared in constant time; facilitator and member tokens are
looked up by their SHA-256 digest with one GetItem. Resource-level rules (is
this *its* facilitator?) live in the services that own the resource.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from chalicelib import keyring
from chalicelib.domain.identity import ADMIN, ANONYMOUS, Caller, Role, hash_token, same_secret
from chalicelib.errors import ForbiddenError, UnauthorizedError
from chalicelib.store.credentials import CredentialRepository


class Authenticator:
    def __init__(self, credentials: CredentialRepository | None = None) -> None:
        self.credentials = credentials or CredentialRepository()

    def caller(self, token: str | None) -> Caller:
        """Who presents `token`: anonymous when None, 401 when it is not valid."""
        if token is None:
            return ANONYMOUS
        if not token:
            raise UnauthorizedError("The Authorization header must be 'Bearer <token>'.")
        admin = keyring.admin_token()
        if admin and same_secret(token, admin):
            return ADMIN
        if token.startswith(("hf_", "hm_")):
            found = self.credentials.get(hash_token(token), seen_at=datetime.now(UTC))
            if found is not None:
                return found
        raise UnauthorizedError("This token is not valid.")


def require(caller: Caller, allowed: Iterable[Role]) -> None:
    """401 for an anonymous caller where a role is needed, 403 for the wrong role."""
    allowed = frozenset(allowed)
    if Role.ANONYMOUS in allowed:
        return
    if caller.removed:
        raise ForbiddenError("You were removed from this group.", code="removed")
    if caller.role in allowed:
        return
    if caller.is_anonymous:
        raise UnauthorizedError()
    raise ForbiddenError()
