"""The room's live connections: opening and closing them, and pushing to them.

A group's open WebSocket connections are one registry item, read with whatever the push
is about (posting reads it with the author's membership), so a push costs no Query.
Connections API Gateway no longer knows are forgotten as a push finds them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Protocol

from chalicelib.domain.identity import Caller, Role
from chalicelib.domain.room import Endpoint, LiveConnection
from chalicelib.errors import ForbiddenError, UnauthorizedError, ValidationError
from chalicelib.notify.live import WebsocketPusher
from chalicelib.observability import count
from chalicelib.services.groups import GroupService
from chalicelib.services.room_views import Clock, message_view, utcnow
from chalicelib.settings import get_settings
from chalicelib.store.room import LiveRoomItem, MessageItem, RoomRepository

LIVE_TTL = timedelta(hours=2, minutes=5)  # API Gateway closes every WebSocket after two hours
MAX_CONNECTIONS = 2000  # per group; keeps the registry item far below DynamoDB's 400 KB


class LivePush(Protocol):
    def send_all(self, endpoint: Endpoint, messages: dict[str, str]) -> list[str]: ...

    def close(self, endpoint: Endpoint, connection_id: str) -> None: ...


class RoomLive:
    def __init__(
        self,
        groups: GroupService | None = None,
        room: RoomRepository | None = None,
        pusher: LivePush | None = None,
        clock: Clock = utcnow,
    ) -> None:
        self.groups = groups or GroupService()
        self.room = room or RoomRepository()
        self.pusher = pusher or WebsocketPusher()
        self.clock = clock

    def live_url(self) -> str | None:
        """Where pages open their live connection; None where the stage has no WebSocket API."""
        return get_settings().websocket_url

    def connect(self, caller: Caller, group_id: str | None, connection_id: str, endpoint: Endpoint) -> None:
        """Open a live connection: a member to their own group, a facilitator to one they run."""
        if caller.removed:
            raise ForbiddenError("You were removed from this group.", code="removed")
        if caller.role is Role.MEMBER:
            if group_id not in (None, caller.group_id):
                raise ForbiddenError("A member token opens only its own group's room.")
            group_id = caller.group_id
        elif caller.role is Role.FACILITATOR:
            if not group_id:
                raise ValidationError({"group_id": "Name the group to follow."})
            self.groups.managed(caller, group_id)
        elif caller.is_anonymous:
            raise UnauthorizedError()
        else:
            raise ForbiddenError()
        live = LiveConnection(connection_id, caller.role.value, caller.subject_id or "")
        self.room.connect(group_id or "", live, endpoint, self.clock() + LIVE_TTL, MAX_CONNECTIONS)
        count("live_connects")

    def disconnect(self, connection_id: str) -> None:
        pointer = self.room.connection(connection_id)
        if pointer is not None:
            self.room.disconnect(pointer)

    def message(self, group_id: str, live: LiveRoomItem | None, item: MessageItem, now: datetime) -> None:
        """Push a new message to each connection, rendered for its viewer (`mine`)."""

        def render(connection: LiveConnection) -> str:
            viewer = Caller(Role(connection.role), subject_id=connection.subject_id)
            view = message_view(item, viewer)
            message = view.model_dump(mode="json")  # as the REST answer shows it
            return json.dumps({"type": "message", "message": message}, ensure_ascii=False)

        self._push(group_id, live, render, now)

    def hidden(self, group_id: str, live: LiveRoomItem | None, message_id: str, now: datetime) -> None:
        """Tell every connection a message is gone."""
        event = json.dumps({"type": "message_hidden", "message_id": message_id})
        self._push(group_id, live, lambda _connection: event, now)

    def _push(
        self,
        group_id: str,
        live: LiveRoomItem | None,
        render: Callable[[LiveConnection], str],
        now: datetime,
    ) -> None:
        """Send to every open connection of the group; forget those API Gateway no longer knows."""
        if live is None or live.endpoint is None:
            return
        connections = live.open_connections(now)
        if not connections:
            return
        by_id = {connection.connection_id: connection for connection in connections}
        gone = self.pusher.send_all(live.endpoint, {cid: render(c) for cid, c in by_id.items()})
        if gone:
            self.room.drop(group_id, [by_id[cid] for cid in gone])
            count("live_gone", len(gone))

    def hang_up(self, group_id: str, subject_id: str, now: datetime, live: LiveRoomItem | None) -> None:
        """Close a member's open connections (as read in `live`) and forget them."""
        if live is None or live.endpoint is None:
            return
        theirs = [c for c in live.open_connections(now) if c.subject_id == subject_id]
        for connection in theirs:
            self.pusher.close(live.endpoint, connection.connection_id)
        self.room.drop(group_id, theirs)
