"""What API Gateway's WebSocket API does around the room's handlers, done locally.

`make run` (and the stack and browser tests) start one `LocalGateway` in the local stack's
process, next to the runner:

- a WebSocket server (the `websockets` library) on `ws://127.0.0.1:<port>/<stage>`: each
  connection gets an id like API Gateway's, and the app's own `$connect`, `$default` and
  `$disconnect` handlers (found in the Chalice app, as Lambda would call them) receive
  API Gateway's proxy event for it. A `$connect` answer other than 2xx refuses the opening
  handshake with that status, as API Gateway does; any close calls `$disconnect`.
- the `@connections` management API on `http://127.0.0.1:<port>/<stage>`, which the app's
  push code reaches through boto3's `apigatewaymanagementapi` client
  (`HEARTH_WEBSOCKET_MANAGEMENT_URL`): POST sends a text frame, DELETE closes the socket,
  GET describes it, and an id the gateway does not hold answers 410 `GoneException`.

Handlers run one at a time, as in one Lambda instance. Tokens travel in the query string
(browsers cannot set headers on a WebSocket), so nothing here logs a path or a query.
"""

from __future__ import annotations

import base64
import json
import logging
import secrets
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import ModuleType
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from chalice.local import LambdaContext
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response
from websockets.sync.server import Server, ServerConnection, serve

log = logging.getLogger("hearth.local")

API_ID = "local"
OPEN_WAIT_SECONDS = 10  # a push that races the opening handshake waits this long for it
CONNECTIONS = "@connections"


def _connection_id() -> str:
    """An id shaped like API Gateway's (16 characters ending in "="): it needs URL quoting too."""
    return base64.b64encode(secrets.token_bytes(11)).decode()


def _millis(instant: datetime) -> int:
    return int(instant.timestamp() * 1000)


@dataclass
class Connection:
    connection_id: str
    socket: ServerConnection
    connected_at: datetime
    source_ip: str
    user_agent: str
    last_active_at: datetime
    opened: threading.Event = field(default_factory=threading.Event)


@dataclass
class LocalGateway:
    """The room's WebSocket API on loopback; `start()` binds both ports, `stop()` closes everything."""

    app_module: ModuleType
    host: str = "127.0.0.1"
    port: int = 0  # the socket port pages connect to; 0 picks a free one
    management_port: int = 0
    stage: str = "api"
    _connections: dict[str, Connection] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _handler_lock: threading.Lock = field(default_factory=threading.Lock)
    _server: Server | None = None
    _management: ThreadingHTTPServer | None = None
    _threads: list[threading.Thread] = field(default_factory=list)

    # --- addresses ---------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """What pages connect to (`HEARTH_WEBSOCKET_URL`)."""
        return f"ws://{self.host}:{self.port}/{self.stage}"

    @property
    def management_url(self) -> str:
        """The `@connections` endpoint boto3 is given (`HEARTH_WEBSOCKET_MANAGEMENT_URL`)."""
        return f"http://{self.host}:{self.management_port}/{self.stage}"

    @property
    def domain_name(self) -> str:
        return f"{self.host}:{self.port}"

    def connection_ids(self) -> set[str]:
        with self._lock:
            return set(self._connections)

    # --- life cycle --------------------------------------------------------------------------

    def start(self) -> LocalGateway:
        logging.getLogger("websockets").setLevel(logging.WARNING)  # its access log names paths
        self._server = serve(
            self._serve_connection,
            self.host,
            self.port,
            process_request=self._connect,
            compression=None,
        )
        self.port = int(self._server.socket.getsockname()[1])
        self._management = ThreadingHTTPServer((self.host, self.management_port), _management_handler(self))
        self._management.daemon_threads = True
        self.management_port = int(self._management.server_address[1])
        for name, target in (
            ("local-gateway", self._server.serve_forever),
            ("local-gateway-management", self._management.serve_forever),
        ):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        """Close every socket (each gets its `$disconnect`), then both servers."""
        if self._server is not None:
            self._server.shutdown()
        if self._management is not None:
            self._management.shutdown()
            self._management.server_close()
        for thread in self._threads:
            thread.join(timeout=10)

    # --- the app's handlers ------------------------------------------------------------------

    def _invoke(self, route_key: str, event: dict[str, Any]) -> dict[str, Any]:
        config = self.app_module.app.websocket_handlers[route_key]
        handler = getattr(self.app_module, config.name)  # the Lambda entry point Chalice deploys
        context = LambdaContext(f"hearth-local-{config.name}", memory_size=256, max_runtime_ms=10_000)
        with self._handler_lock:
            try:
                return handler(event, context) or {"statusCode": 200}
            except Exception:  # as in API Gateway: a failed integration is a 500 for this event
                log.exception("websocket handler failed", extra={"route": route_key})
                return {"statusCode": 500}

    def _event(self, route_key: str, connection: Connection, **extra: Any) -> dict[str, Any]:
        """API Gateway's WebSocket proxy event for `connection` (its `requestContext` in full)."""
        now = datetime.now(UTC)
        kind = {"$connect": "CONNECT", "$disconnect": "DISCONNECT"}.get(route_key, "MESSAGE")
        request_id = base64.b64encode(secrets.token_bytes(11)).decode()
        context: dict[str, Any] = {
            "routeKey": route_key,
            "eventType": kind,
            "extendedRequestId": request_id,
            "requestTime": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "messageDirection": "IN",
            "stage": self.stage,
            "connectedAt": _millis(connection.connected_at),
            "requestTimeEpoch": _millis(now),
            "identity": {"userAgent": connection.user_agent, "sourceIp": connection.source_ip},
            "requestId": request_id,
            "domainName": self.domain_name,
            "connectionId": connection.connection_id,
            "apiId": API_ID,
        }
        context.update(extra.pop("context", {}))
        return {"requestContext": context, "isBase64Encoded": False, **extra}

    # --- WebSocket side ----------------------------------------------------------------------

    def _connect(self, socket: ServerConnection, request: Request) -> Response | None:
        """The opening handshake: `$connect` decides, as API Gateway lets it."""
        parts = urlsplit(request.path)
        if parts.path.rstrip("/") != f"/{self.stage}":
            return socket.respond(HTTPStatus.FORBIDDEN, "Forbidden\n")
        now = datetime.now(UTC)
        remote = socket.remote_address
        connection = Connection(
            connection_id=_connection_id(),
            socket=socket,
            connected_at=now,
            source_ip=str(remote[0]) if remote else "127.0.0.1",
            user_agent=request.headers.get("User-Agent", ""),
            last_active_at=now,
        )
        headers = {name: value for name, value in request.headers.raw_items()}
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        event = self._event(
            "$connect",
            connection,
            headers=headers,
            multiValueHeaders={name: request.headers.get_all(name) for name in headers},
        )
        if query:
            event["queryStringParameters"] = query
            event["multiValueQueryStringParameters"] = {
                name: [value for key, value in parse_qsl(parts.query, keep_blank_values=True) if key == name]
                for name in query
            }
        status = int(self._invoke("$connect", event).get("statusCode", 200))
        if not 200 <= status < 300:
            return socket.respond(status, f"{HTTPStatus(status).phrase}\n")
        socket.gateway_connection = connection  # type: ignore[attr-defined]
        with self._lock:
            self._connections[connection.connection_id] = connection
        return None

    def _serve_connection(self, socket: ServerConnection) -> None:
        """An open socket: its frames go to `$default`; its close, however it came, to `$disconnect`."""
        connection: Connection = socket.gateway_connection  # type: ignore[attr-defined]
        connection.opened.set()
        try:
            for frame in socket:
                connection.last_active_at = datetime.now(UTC)
                body = frame if isinstance(frame, str) else frame.decode("utf-8", "replace")
                self._invoke(
                    "$default",
                    self._event("$default", connection, body=body, context={"messageId": _connection_id()}),
                )
        except ConnectionClosed:
            pass
        finally:
            with self._lock:
                self._connections.pop(connection.connection_id, None)
            code = socket.close_code or 1006
            event = self._event(
                "$disconnect",
                connection,
                headers={"Host": self.domain_name},
                context={"disconnectStatusCode": code, "disconnectReason": socket.close_reason or ""},
            )
            self._invoke("$disconnect", event)

    # --- @connections side -------------------------------------------------------------------

    def _open(self, connection_id: str) -> Connection | None:
        with self._lock:
            connection = self._connections.get(connection_id)
        if connection is None or not connection.opened.wait(OPEN_WAIT_SECONDS):
            return None
        return connection

    def post(self, connection_id: str, data: bytes) -> bool:
        connection = self._open(connection_id)
        if connection is None:
            return False
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:  # API Gateway sends what is not text as a binary frame
            text = None
        try:
            connection.socket.send(data if text is None else text)
        except ConnectionClosed:
            return False
        return True

    def delete(self, connection_id: str) -> bool:
        connection = self._open(connection_id)
        if connection is None:
            return False
        threading.Thread(target=connection.socket.close, name="local-gateway-close", daemon=True).start()
        with self._lock:  # gone at once for later calls, as in API Gateway
            self._connections.pop(connection_id, None)
        return True

    def describe(self, connection_id: str) -> dict[str, Any] | None:
        connection = self._open(connection_id)
        if connection is None:
            return None
        return {
            "connectedAt": connection.connected_at.isoformat().replace("+00:00", "Z"),
            "identity": {"sourceIp": connection.source_ip, "userAgent": connection.user_agent},
            "lastActiveAt": connection.last_active_at.isoformat().replace("+00:00", "Z"),
        }


def _management_handler(gateway: LocalGateway) -> type[BaseHTTPRequestHandler]:
    prefix = f"/{gateway.stage}/{CONNECTIONS}/"

    class ManagementHandler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass  # the path carries connection ids; nothing to log

        def _connection_id(self) -> str | None:
            path = urlsplit(self.path).path
            if not path.startswith(prefix) or "/" in path[len(prefix) :]:
                return None
            return unquote(path[len(prefix) :]) or None

        def _answer(self, status: int, body: dict[str, Any] | None = None, error: str | None = None) -> None:
            raw = json.dumps(body).encode() if body is not None else b""
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.send_header("Date", format_datetime(datetime.now(UTC), usegmt=True))
            if error:
                self.send_header("x-amzn-ErrorType", error)
            self.end_headers()
            self.wfile.write(raw)

        def _target(self) -> str | None:
            """The connection id in the path, or None (answered 404: not an @connections URL)."""
            connection_id = self._connection_id()
            if connection_id is None:
                self._answer(HTTPStatus.NOT_FOUND, {"message": "Not Found"}, error="NotFoundException")
            return connection_id

        def _reply(self, status: int, done: bool | dict[str, Any] | None) -> None:
            """`done` falsy: the gateway holds no such connection, which API Gateway calls gone."""
            if not done:
                self._answer(HTTPStatus.GONE, {"message": None}, error="GoneException")
            else:
                self._answer(status, done if isinstance(done, dict) else None)

        def do_POST(self) -> None:
            data = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if (connection_id := self._target()) is not None:
                self._reply(HTTPStatus.OK, gateway.post(connection_id, data))

        def do_DELETE(self) -> None:
            if (connection_id := self._target()) is not None:
                self._reply(HTTPStatus.NO_CONTENT, gateway.delete(connection_id))

        def do_GET(self) -> None:
            if (connection_id := self._target()) is not None:
                self._reply(HTTPStatus.OK, gateway.describe(connection_id))

    return ManagementHandler
