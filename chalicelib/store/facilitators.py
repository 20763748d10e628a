"""Facilitator accounts. The account and its credential are written together."""

from __future__ import annotations

from pynamodb.attributes import BinaryAttribute, UnicodeAttribute
from pynamodb.transactions import TransactWrite

from chalicelib.domain.identity import Caller, Role
from chalicelib.errors import ConflictError, NotFoundError
from chalicelib.store import keys
from chalicelib.store.base import conditional, dependency
from chalicelib.store.credentials import CredentialItem, CredentialRepository
from chalicelib.store.tables import HearthItem, bind, connection


class FacilitatorItem(HearthItem, discriminator="facilitator"):
    facilitator_id = UnicodeAttribute()
    display_name = UnicodeAttribute()
    token_hash = UnicodeAttribute(null=True)  # none while revoked
    email_enc = BinaryAttribute(null=True, legacy_encoding=False)
    email_hash = UnicodeAttribute(null=True)


class FacilitatorRepository:
    def __init__(self, credentials: CredentialRepository | None = None) -> None:
        self.credentials = credentials or CredentialRepository()

    def create(
        self,
        facilitator_id: str,
        display_name: str,
        token_hash: str,
        email_enc: bytes | None = None,
        email_hash: str | None = None,
    ) -> FacilitatorItem:
        key = keys.facilitator(facilitator_id)
        item = FacilitatorItem(
            key.pk,
            key.sk,
            facilitator_id=facilitator_id,
            display_name=display_name,
            token_hash=token_hash,
            email_enc=email_enc,
            email_hash=email_hash,
        )
        credential = self.credentials.item(token_hash, Caller(Role.FACILITATOR, subject_id=facilitator_id))
        with (
            conditional(lambda: ConflictError("That facilitator already exists.")),
            TransactWrite(connection=connection()) as tx,
        ):
            tx.save(item, condition=FacilitatorItem.pk.does_not_exist())
            tx.save(credential, condition=HearthItem.pk.does_not_exist())
        return item

    def get(self, facilitator_id: str) -> FacilitatorItem | None:
        bind()
        key = keys.facilitator(facilitator_id)
        with dependency():
            try:
                return FacilitatorItem.get(key.pk, key.sk)
            except FacilitatorItem.DoesNotExist:
                return None

    def require(self, facilitator_id: str) -> FacilitatorItem:
        found = self.get(facilitator_id)
        if found is None:
            raise NotFoundError("No such facilitator.")
        return found

    def replace_token(self, item: FacilitatorItem, token_hash: str | None) -> None:
        """Swap the facilitator's credential for `token_hash` (None: revoke it), in one transaction.

        The old credential goes in the same write that records the new one, so there is no
        moment when both work, and a concurrent swap fails (409) instead of leaving an orphan.
        """
        old = item.token_hash
        with (
            conditional(lambda: ConflictError("The facilitator's token changed meanwhile; try again.")),
            TransactWrite(connection=connection()) as tx,
        ):
            if old:
                key = keys.token(old)
                tx.delete(CredentialItem(key.pk, key.sk))
            if token_hash is not None:
                caller = Caller(Role.FACILITATOR, subject_id=item.facilitator_id)
                tx.save(self.credentials.item(token_hash, caller), condition=HearthItem.pk.does_not_exist())
            unchanged = (
                FacilitatorItem.token_hash == old if old else FacilitatorItem.token_hash.does_not_exist()
            )
            action = (
                FacilitatorItem.token_hash.set(token_hash)
                if token_hash is not None
                else FacilitatorItem.token_hash.remove()
            )
            tx.update(item, actions=[action], condition=FacilitatorItem.pk.exists() & unchanged)
