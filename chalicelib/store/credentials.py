"""Bearer credentials, stored only by the SHA-256 of the token."""

from __future__ import annotations

from pynamodb.attributes import BooleanAttribute, UnicodeAttribute

from chalicelib.domain.identity import Caller, Role
from chalicelib.errors import ConflictError
from chalicelib.store import keys
from chalicelib.store.base import conditional, dependency
from chalicelib.store.tables import HearthItem, bind


class CredentialItem(HearthItem, discriminator="credential"):
    role = UnicodeAttribute()
    subject_id = UnicodeAttribute()
    group_id = UnicodeAttribute(null=True)
    removed = BooleanAttribute(default=False)


class CredentialRepository:
    def item(self, token_hash: str, caller: Caller) -> CredentialItem:
        """An unsaved credential item, for callers that write it in a transaction."""
        key = keys.token(token_hash)
        return CredentialItem(
            key.pk,
            key.sk,
            role=caller.role.value,
            subject_id=caller.subject_id,
            group_id=caller.group_id,
        )

    def create(self, token_hash: str, caller: Caller) -> Caller:
        """Store a credential; `ConflictError` if that token hash is already taken."""
        bind()
        with conditional(lambda: ConflictError("Credential already exists.")):
            self.item(token_hash, caller).save(condition=CredentialItem.pk.does_not_exist())
        return caller

    def get(self, token_hash: str) -> Caller | None:
        bind()
        key = keys.token(token_hash)
        with dependency():
            try:
                found = CredentialItem.get(key.pk, key.sk)
            except CredentialItem.DoesNotExist:
                return None
        return Caller(
            Role(found.role),
            subject_id=found.subject_id,
            group_id=found.group_id,
            removed=bool(found.removed),
        )

    def mark_removed(self, token_hash: str) -> None:
        """Keep the credential but refuse its holder everywhere (a removed member)."""
        bind()
        key = keys.token(token_hash)
        with dependency():
            CredentialItem(key.pk, key.sk).update(
                actions=[CredentialItem.removed.set(True)], condition=CredentialItem.pk.exists()
            )

    def revoke(self, token_hash: str) -> None:
        bind()
        key = keys.token(token_hash)
        with dependency():
            CredentialItem(key.pk, key.sk).delete()
