"""The room's WebSocket handlers (API Gateway WebSocket API): thin, one service call each.

Registered in app.py: Chalice's WebSocket decorators work on the app, not on blueprints.
A client connects with `?token=<member token>` (a facilitator adds `&group_id=`), since
browsers cannot set headers on a WebSocket; the token is never logged. The server only
pushes (`{"type": "message", ...}`, `{"type": "message_hidden", ...}`); anything a client
sends is accepted and ignored, which keeps an idle connection open. `chalice local` has
no WebSockets: on `make run` the local gateway (`scripts/local_gateway.py`) calls these
same handlers with API Gateway's events.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from chalice.app import WebsocketEvent

from chalicelib.domain.room import Endpoint
from chalicelib.errors import HearthError
from chalicelib.observability import logger
from chalicelib.services.auth import Authenticator
from chalicelib.services.container import services

OK = {"statusCode": 200}


@cache
def _authenticator() -> Authenticator:
    return Authenticator()


def room_connect(event: WebsocketEvent) -> dict[str, Any]:
    """$connect: a refused token gets the HTTP status, and API Gateway closes the socket."""
    raw = event.to_dict()
    params = raw.get("queryStringParameters") or {}
    context = raw["requestContext"]
    try:
        caller = _authenticator().caller(params.get("token"))
        endpoint = Endpoint(api_id=context["apiId"], stage=context["stage"])
        services().live.connect(caller, params.get("group_id"), event.connection_id, endpoint)
    except HearthError as exc:
        logger().info("live connect refused", extra={"status": exc.status, "code": exc.code})
        return {"statusCode": exc.status}
    return OK


def room_disconnect(event: WebsocketEvent) -> dict[str, Any]:
    services().live.disconnect(event.connection_id)
    return OK


def room_message(event: WebsocketEvent) -> dict[str, Any]:
    """$default: clients have nothing to say here (posting is HTTP); a message keeps the socket alive."""
    return OK
