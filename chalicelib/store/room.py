"""The group room in DynamoDB: messages, reports, alerts, the audit trail and live connections.

Everything lives in the group's `ROOM#<group_id>` partition (key formats in `store.keys`).
Writes that must hold together are one TransactWriteItems: a message with its author's
rate-limit count, the check that the author is still an unmuted member, and its crisis
alert; a report with its alert (a second report of the same message by the same member
is refused by DynamoDB, not by Python); a hide or a mute with its audit entry.

The group's open WebSocket connections are one item (a string set), so posting reads it
in the same BatchGetItem as the author's membership, and broadcasting costs no Query.
API Gateway closes every WebSocket within two hours, so the item and each connection's
pointer expire by TTL shortly after the newest connection could still be open.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from pynamodb.attributes import UnicodeAttribute, UnicodeSetAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import PynamoDBException, TransactWriteError
from pynamodb.expressions.condition import Condition, size
from pynamodb.transactions import TransactWrite

from chalicelib.domain.room import Endpoint, LiveConnection, alert_id
from chalicelib.errors import ConflictError, DependencyError, NotFoundError, RateLimitedError
from chalicelib.store import keys
from chalicelib.store.base import dependency
from chalicelib.store.counters import CounterItem
from chalicelib.store.members import ACTIVE, MemberItem
from chalicelib.store.tables import HearthItem, bind, connection

CONDITION_FAILED = "ConditionalCheckFailed"  # a cancellation reason's code (not the exception's name)
OPEN = "open"
HANDLED = "handled"

Item = TypeVar("Item", bound=HearthItem)


class MessageItem(HearthItem, discriminator="message"):
    group_id = UnicodeAttribute()
    message_id = UnicodeAttribute()
    author_id = UnicodeAttribute()
    author_role = UnicodeAttribute()
    handle = UnicodeAttribute()  # the author's handle (or display name) when they wrote it
    body = UnicodeAttribute()


class ReportItem(HearthItem, discriminator="report"):
    group_id = UnicodeAttribute()
    message_id = UnicodeAttribute()
    reporter_id = UnicodeAttribute()


class AlertItem(HearthItem, discriminator="alert"):
    """What a facilitator must look at; never the message text."""

    group_id = UnicodeAttribute()
    alert_id = UnicodeAttribute()
    alert_kind = UnicodeAttribute()  # "crisis" | "report" (`kind` is the item discriminator)
    message_id = UnicodeAttribute(null=True)  # none when a crisis message was refused (muted, too fast)
    category = UnicodeAttribute(null=True)
    reason = UnicodeAttribute(null=True)
    status = UnicodeAttribute(null=True)  # absent while open; "handled" once a facilitator handled it
    handled_at = UTCDateTimeAttribute(null=True)
    handled_by = UnicodeAttribute(null=True)  # the facilitator's display name then
    handled_by_id = UnicodeAttribute(null=True)


class AuditItem(HearthItem, discriminator="audit"):
    """One moderation action: who, what, when. Never message text."""

    group_id = UnicodeAttribute()
    entry_id = UnicodeAttribute()
    action = UnicodeAttribute()
    actor_id = UnicodeAttribute()
    actor_role = UnicodeAttribute()
    actor_name = UnicodeAttribute(null=True)
    member_id = UnicodeAttribute(null=True)
    handle = UnicodeAttribute(null=True)
    message_id = UnicodeAttribute(null=True)
    muted_until = UTCDateTimeAttribute(null=True)
    alert_id = UnicodeAttribute(null=True)


class LiveRoomItem(HearthItem, discriminator="live_room"):
    group_id = UnicodeAttribute(null=True)
    connections = UnicodeSetAttribute(null=True)  # encoded `LiveConnection`s
    api_id = UnicodeAttribute(null=True)
    stage = UnicodeAttribute(null=True)

    def open_connections(self, now: datetime) -> list[LiveConnection]:
        if self.expires_at is not None and self.expires_at <= now:
            return []
        return [decode_connection(entry) for entry in sorted(self.connections or ())]

    @property
    def endpoint(self) -> Endpoint | None:
        return Endpoint(self.api_id, self.stage) if self.api_id and self.stage else None


class ConnectionItem(HearthItem, discriminator="connection"):
    connection_id = UnicodeAttribute()
    group_id = UnicodeAttribute()
    role = UnicodeAttribute()
    subject_id = UnicodeAttribute()

    def to_domain(self) -> LiveConnection:
        return LiveConnection(self.connection_id, self.role, self.subject_id)


def _alert_status(status: str | None) -> Condition | None:
    if status == OPEN:
        return AlertItem.status.does_not_exist()
    if status == HANDLED:
        return AlertItem.status == HANDLED
    return None


def encode_connection(live: LiveConnection) -> str:
    return f"{live.connection_id}|{live.role}|{live.subject_id}"


def decode_connection(entry: str) -> LiveConnection:
    connection_id, role, subject_id = entry.rsplit("|", 2)
    return LiveConnection(connection_id, role, subject_id)


@dataclass(frozen=True)
class RateLimit:
    """At most `limit` events per fixed window of `period_seconds` (a `CounterItem`, as `counters`)."""

    scope: str
    subject: str
    limit: int
    period_seconds: int


@dataclass(frozen=True)
class Page:
    items: list[Any]
    next: str | None  # the sort-key suffix to continue after, or None at the end


class _Names:
    """Names a transaction's items, to tell which condition failed.

    PynamoDB sends condition checks, then deletes, then puts, then updates, whatever order
    they were added in; cancellation reasons come back in that order.
    """

    def __init__(self) -> None:
        self._by_operation: dict[str, list[str]] = {"check": [], "delete": [], "put": [], "update": []}

    def add(self, operation: str, name: str) -> None:
        self._by_operation[operation].append(name)

    def failed(self, exc: TransactWriteError) -> set[str]:
        names = [
            name
            for operation in ("check", "delete", "put", "update")
            for name in self._by_operation[operation]
        ]
        reasons = exc.cancellation_reasons or []
        return {
            name
            for name, reason in zip(names, reasons, strict=False)
            if reason is not None and reason.code == CONDITION_FAILED
        }


class RoomRepository:
    # --- building items (no I/O) -----------------------------------------------------------

    def new_message(
        self,
        group_id: str,
        seq: str,
        *,
        message_id: str,
        author_id: str,
        author_role: str,
        handle: str,
        body: str,
        created_at: datetime,
        expires_at: datetime,
    ) -> MessageItem:
        key = keys.message(group_id, seq)
        return MessageItem(
            key.pk,
            key.sk,
            group_id=group_id,
            message_id=message_id,
            author_id=author_id,
            author_role=author_role,
            handle=handle,
            body=body,
            created_at=created_at,
            expires_at=expires_at,
            gsi1pk=keys.message_author(group_id, author_id),
            gsi1sk=seq,
        )

    def new_alert(self, group_id: str, seq: str, **attributes: Any) -> AlertItem:
        key = keys.alert(group_id, seq)
        return AlertItem(key.pk, key.sk, group_id=group_id, alert_id=alert_id(seq), **attributes)

    def new_audit(self, group_id: str, seq: str, **attributes: Any) -> AuditItem:
        key = keys.audit(group_id, seq)
        return AuditItem(key.pk, key.sk, group_id=group_id, entry_id=f"aud_{seq}", **attributes)

    def new_report(self, group_id: str, seq: str, reporter_id: str, **attributes: Any) -> ReportItem:
        key = keys.report(group_id, seq, reporter_id)
        return ReportItem(key.pk, key.sk, group_id=group_id, reporter_id=reporter_id, **attributes)

    # --- reads ---------------------------------------------------------------------------

    def fetch(self, wanted: Iterable[keys.Key]) -> dict[keys.Key, HearthItem]:
        """Several items of any kind in one BatchGetItem, by key; missing ones are absent."""
        bind()
        with dependency():
            found = HearthItem.batch_get([(key.pk, key.sk) for key in wanted])
            return {keys.Key(item.pk, item.sk): item for item in found}

    def messages(self, group_id: str, floor: str, *, before: str | None, limit: int, now: datetime) -> Page:
        """Newest first, one Query: written at or after the sequence bound `floor`, not yet expired."""
        low, high = keys.messages_since(floor)
        start = None if before is None else keys.message(group_id, before)
        if start is not None and start.sk <= low:
            return Page([], None)
        return self._page(MessageItem, group_id, MessageItem.sk.between(low, high), start, limit, now)

    def alerts(
        self, group_id: str, *, status: str | None, before: str | None, limit: int, now: datetime
    ) -> Page:
        """Newest first; `status` "open" or "handled" keeps only those, None keeps every alert."""
        start = None if before is None else keys.alert(group_id, before)
        return self._page(
            AlertItem,
            group_id,
            AlertItem.sk.startswith(keys.ALERT_PREFIX),
            start,
            limit,
            now,
            also=_alert_status(status),
        )

    def open_alerts(self, group_id: str, now: datetime) -> int:
        """How many alerts of the group are still open (a counting Query, no items returned)."""
        bind()
        with dependency():
            return AlertItem.count(
                keys.room(group_id),
                AlertItem.sk.startswith(keys.ALERT_PREFIX),
                filter_condition=(AlertItem.expires_at > now) & _alert_status(OPEN),
            )

    def audit(self, group_id: str, *, before: str | None, limit: int, now: datetime) -> Page:
        start = None if before is None else keys.audit(group_id, before)
        return self._page(AuditItem, group_id, AuditItem.sk.startswith(keys.AUDIT_PREFIX), start, limit, now)

    def _page(
        self,
        model: type[Item],
        group_id: str,
        range_condition: Condition,
        start: keys.Key | None,
        limit: int,
        now: datetime,
        also: Condition | None = None,
    ) -> Page:
        """Exactly one Query: a page may hold fewer than `limit` items when some expired (or `also`)."""
        bind()
        last_key = None if start is None else {"pk": {"S": start.pk}, "sk": {"S": start.sk}}
        kept = model.expires_at > now
        if also is not None:
            kept = kept & also
        with dependency():
            results = model.query(
                keys.room(group_id),
                range_condition,
                filter_condition=kept,
                scan_index_forward=False,
                page_size=limit,
                last_evaluated_key=last_key,
            )
            raw = next(results.page_iter)
        items = [model.from_raw_data(item) for item in raw.get("Items", [])]
        last = results.page_iter.last_evaluated_key
        following = None
        if last is not None:
            following = last["sk"]["S"].split("#", 1)[1]
        return Page(items, following)

    def forget_in_audit(self, group_id: str, member_id: str) -> None:
        """Erasure: the group's audit entries about or by a member keep the event, not the handle."""
        bind()
        about = (AuditItem.member_id == member_id) | (AuditItem.actor_id == member_id)
        with dependency():
            entries = list(
                AuditItem.query(
                    keys.room(group_id), AuditItem.sk.startswith(keys.AUDIT_PREFIX), filter_condition=about
                )
            )
            for entry in entries:
                actions = []
                if entry.member_id == member_id and entry.handle is not None:
                    actions.append(AuditItem.handle.remove())
                if entry.actor_id == member_id and entry.actor_name is not None:
                    actions.append(AuditItem.actor_name.remove())
                if actions:
                    entry.update(actions=actions)

    def by_author(self, group_id: str, author_id: str) -> list[MessageItem]:
        bind()
        with dependency():
            return [
                item
                for item in MessageItem.gsi1.query(keys.message_author(group_id, author_id))
                if isinstance(item, MessageItem)
            ]

    def connection(self, connection_id: str) -> ConnectionItem | None:
        bind()
        key = keys.live_connection(connection_id)
        with dependency():
            try:
                return ConnectionItem.get(key.pk, key.sk)
            except ConnectionItem.DoesNotExist:
                return None

    # --- writes --------------------------------------------------------------------------

    def post(
        self,
        message: MessageItem,
        *,
        author: keys.Key | None,
        limit: RateLimit,
        now: datetime,
        alert: AlertItem | None = None,
    ) -> None:
        """Write a message (and its alert) if its author may still post and is within `limit`.

        `author` is a membership that must still be active and unmuted when the write lands.
        Refusals: `RateLimitedError` with the seconds to wait; `ConflictError` when the
        membership changed after it was read.
        """
        bind()
        epoch = int(now.timestamp())
        window = epoch // limit.period_seconds
        window_end = (window + 1) * limit.period_seconds
        counter_key = keys.counter(limit.scope, limit.subject, window)
        names = _Names()
        try:
            with TransactWrite(connection=connection()) as tx:
                if author is not None:
                    tx.condition_check(
                        MemberItem,
                        author.pk,
                        author.sk,
                        condition=(MemberItem.status == ACTIVE)
                        & (MemberItem.muted_until.does_not_exist() | (MemberItem.muted_until <= now)),
                    )
                    names.add("check", "author")
                tx.update(
                    CounterItem(counter_key.pk, counter_key.sk),
                    actions=[
                        CounterItem.count.add(1),
                        CounterItem.kind.set(CounterItem),
                        CounterItem.expires_at.set(
                            datetime.fromtimestamp(window_end + limit.period_seconds, UTC)
                        ),
                    ],
                    condition=CounterItem.count.does_not_exist() | (CounterItem.count < limit.limit),
                )
                names.add("update", "limit")
                tx.save(message, condition=MessageItem.pk.does_not_exist())
                names.add("put", "message")
                if alert is not None:
                    tx.save(alert, condition=AlertItem.pk.does_not_exist())
                    names.add("put", "alert")
        except TransactWriteError as exc:
            failed = names.failed(exc)
            if "author" in failed:
                raise ConflictError(
                    "Your membership changed meanwhile; try again.", code="membership_changed"
                ) from exc
            if "limit" in failed:
                raise RateLimitedError(
                    window_end - epoch, "You are posting too fast; wait a moment."
                ) from exc
            if failed:
                raise ConflictError("Could not post just now; try again.") from exc
            raise DependencyError() from exc

    def report(self, message: keys.Key, report: ReportItem, alert: AlertItem, now: datetime) -> bool:
        """Record one member's report of a live message with its alert; False if they already had."""
        bind()
        names = _Names()
        for operation, name in (("check", "message"), ("put", "report"), ("put", "alert")):
            names.add(operation, name)
        try:
            with TransactWrite(connection=connection()) as tx:
                tx.condition_check(
                    MessageItem,
                    message.pk,
                    message.sk,
                    condition=MessageItem.pk.exists() & (MessageItem.expires_at > now),
                )
                tx.save(report, condition=ReportItem.pk.does_not_exist())
                tx.save(alert, condition=AlertItem.pk.does_not_exist())
        except TransactWriteError as exc:
            failed = names.failed(exc)
            if "message" in failed:
                raise NotFoundError("No such message.") from exc
            if "report" in failed:
                return False
            if failed:
                raise ConflictError("Could not record the report just now; try again.") from exc
            raise DependencyError() from exc
        return True

    def hide(self, message: MessageItem, audit: AuditItem) -> None:
        """Delete a message (its text goes with it) and record who did it."""
        bind()
        try:
            with TransactWrite(connection=connection()) as tx:
                tx.delete(message, condition=MessageItem.pk.exists())
                tx.save(audit, condition=AuditItem.pk.does_not_exist())
        except TransactWriteError as exc:
            names = _Names()
            names.add("delete", "message")
            if "message" in names.failed(exc):
                raise NotFoundError("No such message.") from exc
            raise DependencyError() from exc

    def mute(self, member: MemberItem, until: datetime, audit: AuditItem) -> None:
        bind()
        try:
            with TransactWrite(connection=connection()) as tx:
                tx.update(
                    member,
                    actions=[MemberItem.muted_until.set(until)],
                    condition=MemberItem.pk.exists() & (MemberItem.status == ACTIVE),
                )
                tx.save(audit, condition=AuditItem.pk.does_not_exist())
        except TransactWriteError as exc:
            names = _Names()
            names.add("update", "member")
            if "member" in names.failed(exc):
                raise ConflictError("This member is no longer in the group.", code="not_active") from exc
            raise DependencyError() from exc

    def alert(self, group_id: str, seq: str, now: datetime) -> AlertItem | None:
        bind()
        key = keys.alert(group_id, seq)
        with dependency():
            try:
                item = AlertItem.get(key.pk, key.sk, consistent_read=True)
            except AlertItem.DoesNotExist:
                return None
        return item if item.expires_at is None or item.expires_at > now else None

    def handle_alert(
        self, alert: AlertItem, at: datetime, by_id: str, by_name: str, audit: AuditItem
    ) -> bool:
        """Mark an open alert handled, with its audit entry; False if it was handled already.

        The condition makes a second handling (two facilitators, a double click) change nothing
        and record nothing; `alert` is updated in place when this write wins.
        """
        bind()
        try:
            with TransactWrite(connection=connection()) as tx:
                tx.update(
                    alert,
                    actions=[
                        AlertItem.status.set(HANDLED),
                        AlertItem.handled_at.set(at),
                        AlertItem.handled_by.set(by_name),
                        AlertItem.handled_by_id.set(by_id),
                    ],
                    condition=AlertItem.pk.exists() & AlertItem.handled_at.does_not_exist(),
                )
                tx.save(audit, condition=AuditItem.pk.does_not_exist())
        except TransactWriteError as exc:
            names = _Names()
            names.add("put", "audit")
            names.add("update", "alert")
            if "alert" in names.failed(exc):
                return False
            raise DependencyError() from exc
        alert.status, alert.handled_at, alert.handled_by, alert.handled_by_id = HANDLED, at, by_name, by_id
        return True

    def unmute(self, member: MemberItem, now: datetime, audit: AuditItem) -> bool:
        """End a mute that is still running, with its audit entry; False if it had already ended."""
        bind()
        try:
            with TransactWrite(connection=connection()) as tx:
                tx.update(
                    member,
                    actions=[MemberItem.muted_until.remove()],
                    condition=MemberItem.pk.exists() & (MemberItem.muted_until > now),
                )
                tx.save(audit, condition=AuditItem.pk.does_not_exist())
        except TransactWriteError as exc:
            names = _Names()
            names.add("put", "audit")
            names.add("update", "member")
            if "member" in names.failed(exc):
                return False
            raise DependencyError() from exc
        return True

    def record(self, item: AuditItem | AlertItem) -> None:
        """Write one audit entry or alert on its own (fresh time-sortable key: no race)."""
        bind()
        with dependency():
            item.save()

    def delete(self, items: Iterable[HearthItem]) -> None:
        bind()
        with dependency(), HearthItem.batch_write() as batch:
            for item in items:
                batch.delete(item)

    # --- live connections ------------------------------------------------------------------

    def connect(
        self,
        group_id: str,
        live: LiveConnection,
        endpoint: Endpoint,
        expires_at: datetime,
        ceiling: int,
    ) -> None:
        """Add a connection to its group's registry (under `ceiling`) with its pointer, at once."""
        bind()
        room_key = keys.live_room(group_id)
        pointer_key = keys.live_connection(live.connection_id)
        pointer = ConnectionItem(
            pointer_key.pk,
            pointer_key.sk,
            connection_id=live.connection_id,
            group_id=group_id,
            role=live.role,
            subject_id=live.subject_id,
            expires_at=expires_at,
        )
        try:
            with TransactWrite(connection=connection()) as tx:
                tx.update(
                    LiveRoomItem(room_key.pk, room_key.sk),
                    actions=[
                        LiveRoomItem.connections.add({encode_connection(live)}),
                        LiveRoomItem.kind.set(LiveRoomItem),
                        LiveRoomItem.group_id.set(group_id),
                        LiveRoomItem.api_id.set(endpoint.api_id),
                        LiveRoomItem.stage.set(endpoint.stage),
                        LiveRoomItem.expires_at.set(expires_at),
                    ],
                    condition=LiveRoomItem.connections.does_not_exist()
                    | (size(LiveRoomItem.connections) < ceiling),
                )
                tx.save(pointer)
        except TransactWriteError as exc:
            names = _Names()
            names.add("update", "room")
            if "room" in names.failed(exc):
                raise ConflictError("Too many open connections to this room.", code="room_busy") from exc
            raise DependencyError() from exc

    def drop(self, group_id: str, gone: Iterable[LiveConnection]) -> None:
        """Forget connections of a group (closed, gone, or whose holder left); idempotent."""
        entries = {encode_connection(live) for live in gone}
        if not entries:
            return
        bind()
        key = keys.live_room(group_id)
        try:
            LiveRoomItem(key.pk, key.sk).update(
                actions=[LiveRoomItem.connections.delete(entries)], condition=LiveRoomItem.pk.exists()
            )
        except PynamoDBException as exc:
            if exc.cause_response_code != "ConditionalCheckFailedException":
                raise DependencyError() from exc  # the registry already expired: nothing to forget

    def disconnect(self, pointer: ConnectionItem) -> None:
        self.drop(pointer.group_id, [pointer.to_domain()])
        with dependency():
            pointer.delete()
