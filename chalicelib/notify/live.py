"""Pushing to open WebSockets through API Gateway's management API (`@connections`).

The Lambda that posts a message is the HTTP one, which never sees a WebSocket event, so
Chalice would never configure `app.websocket_api` there. Instead each API stage's
endpoint is saved when a connection opens, and here one `apigatewaymanagementapi` client
per endpoint is built from it (what Chalice's `WebsocketAPI` does), with its boto3 session
created on first use (never at import). The local stack's gateway serves the same API on
loopback: `HEARTH_WEBSOCKET_MANAGEMENT_URL` replaces the execute-api endpoint there.
A connection the gateway no longer knows (GoneException) is reported back as gone.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.domain.room import Endpoint
from chalicelib.observability import logger
from chalicelib.settings import get_settings

MAX_PARALLEL_SENDS = 8


class WebsocketPusher:
    def __init__(self, session: Any = None, parallel: int = MAX_PARALLEL_SENDS) -> None:
        self.session = session  # a boto3 Session (tests: anything with `.client(name, endpoint_url=)`)
        self.parallel = parallel
        self._clients: dict[Endpoint, Any] = {}
        self._lock = threading.Lock()

    def _client(self, endpoint: Endpoint) -> Any:
        with self._lock:
            client = self._clients.get(endpoint)
            if client is None:
                settings = get_settings()
                if self.session is None:
                    import boto3  # first push only: botocore dominates cold start

                    self.session = boto3.session.Session(region_name=settings.region)
                url = settings.websocket_management_url or (
                    f"https://{endpoint.api_id}.execute-api.{settings.region}.amazonaws.com/{endpoint.stage}"
                )
                client = self.session.client("apigatewaymanagementapi", endpoint_url=url)
                self._clients[endpoint] = client
            return client

    def send_all(self, endpoint: Endpoint, messages: Mapping[str, str]) -> list[str]:
        """Send each connection its text; returns the connections that are gone."""
        if not messages:
            return []
        client = self._client(endpoint)

        def send(connection_id: str) -> str | None:
            try:
                client.post_to_connection(ConnectionId=connection_id, Data=messages[connection_id].encode())
            except client.exceptions.GoneException:
                return connection_id
            except (ClientError, BotoCoreError):  # one failed push must not fail the others or the post
                logger().warning("live push failed", exc_info=True)
            return None

        ids = list(messages)
        if len(ids) == 1:
            results = [send(ids[0])]
        else:
            with ThreadPoolExecutor(max_workers=min(self.parallel, len(ids))) as pool:
                results = list(pool.map(send, ids))
        return [connection_id for connection_id in results if connection_id is not None]

    def close(self, endpoint: Endpoint, connection_id: str) -> None:
        """Hang up a connection (its holder was removed or left); already gone is fine."""
        client = self._client(endpoint)
        try:
            client.delete_connection(ConnectionId=connection_id)
        except client.exceptions.GoneException:
            pass
        except (ClientError, BotoCoreError):
            logger().warning("live close failed", exc_info=True)
