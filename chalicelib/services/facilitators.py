"""Facilitator accounts: created by ops, each with a bearer token shown once."""

from __future__ import annotations

from chalicelib import crypto
from chalicelib.domain.contact import normalise_email
from chalicelib.domain.identity import Role, hash_token, new_token
from chalicelib.ids import new_id
from chalicelib.responses import FacilitatorCreated
from chalicelib.store.facilitators import FacilitatorRepository


class FacilitatorService:
    def __init__(self, repository: FacilitatorRepository | None = None) -> None:
        self.repository = repository or FacilitatorRepository()

    def create(self, display_name: str, email: str | None) -> FacilitatorCreated:
        token = new_token(Role.FACILITATOR)
        facilitator_id = new_id("fac")
        email_enc = email_hash = None
        if email is not None:
            normalised = normalise_email(email)
            email_enc = crypto.seal("email", normalised)
            email_hash = crypto.blind_index("email", normalised)
        self.repository.create(
            facilitator_id,
            display_name,
            hash_token(token),
            email_enc=email_enc,
            email_hash=email_hash,
        )
        return FacilitatorCreated(facilitator_id=facilitator_id, display_name=display_name, token=token)

    def revoke(self, facilitator_id: str) -> None:
        """Every token of this facilitator stops working at once (401); their groups stay theirs."""
        item = self.repository.require(facilitator_id)
        if item.token_hash:
            self.repository.replace_token(item, None)

    def reissue(self, facilitator_id: str) -> str:
        """A new token, shown once; the old one stops working in the same write."""
        item = self.repository.require(facilitator_id)
        token = new_token(Role.FACILITATOR)
        self.repository.replace_token(item, hash_token(token))
        return token
