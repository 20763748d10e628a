"""The single Hearth table, defined once, as a PynamoDB model.

Every item is a subclass of `HearthItem` told apart by the `kind` discriminator
(PynamoDB polymorphism). Key strings come from `store.keys`; GSIs are generic
(`gsi1`, `gsi2`) plus `by_start`, a sparse index on the minute a session starts,
used by the reminder sweep. `infra/` declares the same table for AWS and a test
keeps the two identical.

Table name, region and endpoint come from settings at first use (`bind`), never
at import.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from pynamodb.attributes import (
    DiscriminatorAttribute,
    ListAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.connection import Connection
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.settings import get_settings


def utcnow() -> datetime:
    return datetime.now(UTC)


def string_list(*, null: bool = False) -> ListAttribute[str]:
    """A list of strings. PynamoDB types `ListAttribute(of=UnicodeAttribute)` as a list of
    attribute objects (PynamoDB issue 1246); this says what the list holds."""
    return ListAttribute[str](of=UnicodeAttribute, null=null)  # type: ignore[arg-type]


class Gsi1(GlobalSecondaryIndex["HearthItem"]):
    """Secondary lookups: listed groups by topic, members of a group, a member's RSVPs."""

    class Meta:
        index_name = "gsi1"
        projection = AllProjection()

    gsi1pk = UnicodeAttribute(hash_key=True)
    gsi1sk = UnicodeAttribute(range_key=True)


class Gsi2(GlobalSecondaryIndex["HearthItem"]):
    """Blind-index lookups (member by contact hash) and other inverted relations."""

    class Meta:
        index_name = "gsi2"
        projection = AllProjection()

    gsi2pk = UnicodeAttribute(hash_key=True)
    gsi2sk = UnicodeAttribute(range_key=True)


class ByStart(GlobalSecondaryIndex["HearthItem"]):
    """Sessions by the UTC minute they start (sharded), for the reminder sweep."""

    class Meta:
        index_name = "by_start"
        projection = AllProjection()

    start_minute = UnicodeAttribute(hash_key=True)
    start_sk = UnicodeAttribute(range_key=True)


class HearthItem(Model):
    class Meta:
        table_name = "hearth"
        billing_mode = "PAY_PER_REQUEST"
        region = "us-east-1"
        host: str | None = None

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    kind = DiscriminatorAttribute()
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    gsi2pk = UnicodeAttribute(null=True)
    gsi2sk = UnicodeAttribute(null=True)
    start_minute = UnicodeAttribute(null=True)
    start_sk = UnicodeAttribute(null=True)
    expires_at = TTLAttribute(null=True)
    created_at = UTCDateTimeAttribute(default=utcnow)

    gsi1 = Gsi1()
    gsi2 = Gsi2()
    by_start = ByStart()


_bound: tuple[str, str, str | None] | None = None
_bind_lock = threading.Lock()


def _all_models() -> list[type[Model]]:
    found: list[type[Model]] = [HearthItem]
    for model in found:
        found.extend(model.__subclasses__())
    return found


def bind() -> type[HearthItem]:
    """Point the model at the table named in settings; cheap after the first call."""
    global _bound
    settings = get_settings()
    wanted = (settings.table_name, settings.region, settings.aws_endpoint_url)
    if wanted != _bound:
        with _bind_lock:
            HearthItem.Meta.table_name = settings.table_name
            HearthItem.Meta.region = settings.region
            HearthItem.Meta.host = settings.aws_endpoint_url
            HearthItem._connection = None
            shared = HearthItem._get_connection()
            for model in _all_models():  # one botocore client for every item type, not one each
                model._connection = shared
            _bound = wanted
    return HearthItem


def unbind() -> None:
    """Drop the table's connection and its pooled sockets; the next `bind` makes a new one."""
    global _bound
    with _bind_lock:
        for model in _all_models():
            model._connection = None
        _bound = None


def create_table(*, ignore_update_ttl_errors: bool = False) -> None:
    """Create the table from the model (local stack and tests; `infra/` owns it in AWS)."""
    model = bind()
    if not model.exists():
        model.create_table(wait=True, ignore_update_ttl_errors=ignore_update_ttl_errors)


def connection() -> Connection:
    """The table's low-level connection, shared with the model (for transactions)."""
    return bind()._get_connection().connection
