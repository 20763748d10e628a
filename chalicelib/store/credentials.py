"""Bearer credentials, stored only by the SHA-256 of the token.

A member's credential also names its device and when that device was last seen (to the
hour: a read-mostly request path should not write on every call).
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import suppress
from datetime import datetime, timedelta

from pynamodb.attributes import BooleanAttribute, UnicodeAttribute, UTCDateTimeAttribute

from chalicelib.domain.identity import Caller, Role, legacy_device_id
from chalicelib.errors import ConflictError, HearthError
from chalicelib.store import keys
from chalicelib.store.base import conditional, dependency
from chalicelib.store.tables import HearthItem, bind


class CredentialItem(HearthItem, discriminator="credential"):
    role = UnicodeAttribute()
    subject_id = UnicodeAttribute()
    group_id = UnicodeAttribute(null=True)
    removed = BooleanAttribute(default=False)
    device_id = UnicodeAttribute(null=True)
    last_seen_at = UTCDateTimeAttribute(null=True)


SEEN_GRANULARITY = timedelta(hours=1)


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
            device_id=caller.device_id,
        )

    def create(self, token_hash: str, caller: Caller) -> Caller:
        """Store a credential; `ConflictError` if that token hash is already taken."""
        bind()
        with conditional(lambda: ConflictError("Credential already exists.")):
            self.item(token_hash, caller).save(condition=CredentialItem.pk.does_not_exist())
        return caller

    def get(self, token_hash: str, seen_at: datetime | None = None) -> Caller | None:
        """The holder of a token; `seen_at` records a member's device as seen then (hourly)."""
        bind()
        key = keys.token(token_hash)
        with dependency():
            try:
                found = CredentialItem.get(key.pk, key.sk)
            except CredentialItem.DoesNotExist:
                return None
        role = Role(found.role)
        if seen_at is not None and role is Role.MEMBER and not found.removed:
            self._seen(found, seen_at)
        return Caller(
            role,
            subject_id=found.subject_id,
            group_id=found.group_id,
            removed=bool(found.removed),
            device_id=(found.device_id or legacy_device_id(token_hash)) if role is Role.MEMBER else None,
        )

    @staticmethod
    def _seen(found: CredentialItem, now: datetime) -> None:
        if found.last_seen_at is not None and found.last_seen_at > now - SEEN_GRANULARITY:
            return
        try:
            with conditional(lambda: ConflictError("gone")):
                found.update(
                    actions=[CredentialItem.last_seen_at.set(now)], condition=CredentialItem.pk.exists()
                )
        except HearthError:
            pass  # signed out meanwhile, or the table is busy: the request goes on without it

    def many(self, token_hashes: Iterable[str]) -> dict[str, CredentialItem]:
        """Credentials by token hash in one BatchGetItem; missing ones are absent."""
        wanted = {keys.token(token_hash): token_hash for token_hash in token_hashes}
        if not wanted:
            return {}
        bind()
        by_pk = {key.pk: token_hash for key, token_hash in wanted.items()}
        with dependency():
            found = CredentialItem.batch_get([(key.pk, key.sk) for key in wanted])
            return {by_pk[item.pk]: item for item in found if isinstance(item, CredentialItem)}

    def mark_removed(self, token_hash: str) -> None:
        """Keep the credential but refuse its holder everywhere (a removed member); a credential
        already gone (a device signed out) stays gone."""
        bind()
        key = keys.token(token_hash)
        with suppress(ConflictError), conditional(lambda: ConflictError("gone")):
            CredentialItem(key.pk, key.sk).update(
                actions=[CredentialItem.removed.set(True)], condition=CredentialItem.pk.exists()
            )

    def revoke(self, token_hash: str) -> None:
        bind()
        key = keys.token(token_hash)
        with dependency():
            CredentialItem(key.pk, key.sk).delete()
