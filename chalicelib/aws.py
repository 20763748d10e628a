"""Lazily built AWS clients: one per service per process, never at import.

Tests and the local stack point every client at an emulator through
`HEARTH_AWS_ENDPOINT_URL`; tests may also swap a client with `override`.
"""

from __future__ import annotations

import threading
from typing import Any

from chalicelib.settings import get_settings

_clients: dict[str, Any] = {}
_lock = threading.Lock()


def client(service: str) -> Any:
    """The shared boto3 client for `service`, created on first use."""
    found = _clients.get(service)
    if found is not None:
        return found
    with _lock:
        if service not in _clients:
            import boto3  # imported on first use: botocore dominates cold start

            settings = get_settings()
            _clients[service] = boto3.session.Session().client(
                service,
                region_name=settings.region,
                endpoint_url=settings.aws_endpoint_url,
            )
        return _clients[service]


def override(service: str, replacement: Any) -> None:
    """Use `replacement` as the client for `service` (tests: stubs, fakes)."""
    with _lock:
        _clients[service] = replacement


def reset() -> None:
    """Drop every client so the next use builds them from current settings."""
    with _lock:
        _clients.clear()
