"""Start `scripts/local_stack.py` (what `make run` runs) as a child process for end-to-end tests."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
ADMIN_TOKEN = "stack-admin-token"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def request(method: str, url: str, body: Any = None, token: str | None = None) -> tuple[int, Any]:
    """One JSON request; returns (status, parsed body or None)."""
    data = json.dumps(body).encode() if body is not None else None
    outgoing = urllib.request.Request(url, data=data, method=method)
    outgoing.add_header("Content-Type", "application/json")
    if token:
        outgoing.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(outgoing, timeout=15) as response:
            raw = response.read()
            return response.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as error:
        raw = error.read()
        return error.code, json.loads(raw) if raw else None


@dataclass
class Stack:
    base: str
    port: int
    process: subprocess.Popen[str]
    live_url: str  # the local WebSocket gateway pages connect to
    management_url: str  # its `@connections` API
    emulator_url: str  # the stack's AWS emulator (its table, for checks behind the API)

    def call(self, method: str, path: str, body: Any = None, token: str | None = None) -> tuple[int, Any]:
        return request(method, f"{self.base}{path}", body, token)


@contextmanager
def running_stack(outbox: Path, **env: str) -> Iterator[Stack]:
    """The local stack on a free loopback port, with a known admin token; stopped (whole tree) on exit."""
    port, ws_port, management_port, emulator_port = free_port(), free_port(), free_port(), free_port()
    clean = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("HEARTH_", "AWS_", "POWERTOOLS_"))
    }
    clean |= {
        "PORT": str(port),
        "HEARTH_WS_PORT": str(ws_port),
        "HEARTH_WS_MANAGEMENT_PORT": str(management_port),
        "HEARTH_EMULATOR_PORT": str(emulator_port),
        "HEARTH_ADMIN_TOKEN": ADMIN_TOKEN,
        "HEARTH_OUTBOX_PATH": str(outbox),
        "HEARTH_DEMO": "0",
    } | env
    log = open(outbox.parent / "stack.log", "w")  # noqa: SIM115 (closed when the stack stops)
    process = subprocess.Popen(  # a file, not a pipe: nobody drains a pipe, and a full one blocks the stack
        [sys.executable, "scripts/local_stack.py"],
        cwd=ROOT,
        env=clean,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    stack = Stack(
        f"http://127.0.0.1:{port}",
        port,
        process,
        live_url=f"ws://127.0.0.1:{ws_port}/api",
        management_url=f"http://127.0.0.1:{management_port}/api",
        emulator_url=f"http://127.0.0.1:{emulator_port}",
    )
    deadline = time.monotonic() + 90
    while True:
        try:
            if stack.call("GET", "/health")[0] == 200:
                break
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(
                f"local stack did not start:\n{process.stdout.read() if process.stdout else ''}"
            )
        time.sleep(0.3)
    try:
        yield stack
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        log.close()
