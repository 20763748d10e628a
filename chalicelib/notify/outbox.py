"""The local outbox: where SMS and email go in the local stage instead of AWS.

A JSON-lines file shared by the local API process and the local runner, guarded
by an advisory lock. It exists only for development and tests; deployed stages
send through SNS and SES.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


class Outbox:
    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    @contextmanager
    def _locked(self, mode: str) -> Iterator[Any]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, mode, encoding="utf-8") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield handle
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def append(self, channel: str, to: str, body: str, subject: str | None = None) -> dict[str, Any]:
        entry = {
            "channel": channel,
            "to": to,
            "subject": subject,
            "body": body,
            "sent_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        }
        with self._locked("a") as handle:
            handle.write(json.dumps(entry, ensure_ascii=False) + "\n")
        return entry

    def messages(self, to: str | None = None) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        with self._locked("r") as handle:
            lines = handle.read().splitlines()
        found = [json.loads(line) for line in lines if line.strip()]
        return [entry for entry in found if to is None or entry["to"] == to]

    def clear(self) -> None:
        with self._locked("w"):
            pass
