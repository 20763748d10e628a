"""Facilitator accounts. The account and its credential are written together."""

from __future__ import annotations

from pynamodb.attributes import BinaryAttribute, UnicodeAttribute
from pynamodb.transactions import TransactWrite

from chalicelib.domain.identity import Caller, Role
from chalicelib.errors import ConflictError
from chalicelib.store import keys
from chalicelib.store.base import conditional, dependency
from chalicelib.store.credentials import CredentialRepository
from chalicelib.store.tables import HearthItem, bind, connection


class FacilitatorItem(HearthItem, discriminator="facilitator"):
    facilitator_id = UnicodeAttribute()
    display_name = UnicodeAttribute()
    token_hash = UnicodeAttribute()
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
