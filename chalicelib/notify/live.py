"""Pushing to open WebSockets through API Gateway's management API (Chalice's `WebsocketAPI`).

The Lambda that posts a message is the HTTP one, which never sees a WebSocket event, so
Chalice would never configure `app.websocket_api` there. Instead each API stage's
endpoint is saved when a connection opens, and here one `WebsocketAPI` per endpoint is
configured from it, with its boto3 session created on first use (never at import).
A connection API Gateway no longer knows (GoneException) is reported back as gone.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from chalice.app import WebsocketAPI, WebsocketDisconnectedError

from chalicelib.domain.room import Endpoint
from chalicelib.observability import logger
from chalicelib.settings import get_settings

MAX_PARALLEL_SENDS = 8


class WebsocketPusher:
    def __init__(self, session: Any = None, parallel: int = MAX_PARALLEL_SENDS) -> None:
        self.session = session  # a boto3 Session (tests: anything with `.client(name, endpoint_url=)`)
        self.parallel = parallel
        self._apis: dict[Endpoint, WebsocketAPI] = {}
        self._lock = threading.Lock()

    def _api(self, endpoint: Endpoint) -> WebsocketAPI:
        with self._lock:
            api = self._apis.get(endpoint)
            if api is None:
                if self.session is None:
                    import boto3  # first push only: botocore dominates cold start

                    self.session = boto3.session.Session(region_name=get_settings().region)
                api = WebsocketAPI()
                api.session = self.session
                region = get_settings().region
                api.configure(f"{endpoint.api_id}.execute-api.{region}.amazonaws.com", endpoint.stage)
                self._apis[endpoint] = api
            return api

    def send_all(self, endpoint: Endpoint, messages: Mapping[str, str]) -> list[str]:
        """Send each connection its text; returns the connections that are gone."""
        if not messages:
            return []
        api = self._api(endpoint)

        def send(connection_id: str) -> str | None:
            try:
                api.send(connection_id, messages[connection_id])
            except WebsocketDisconnectedError:
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
        try:
            self._api(endpoint).close(connection_id)
        except WebsocketDisconnectedError:
            pass
        except (ClientError, BotoCoreError):
            logger().warning("live close failed", exc_info=True)
