"""A loopback dynalite server: real per-item atomicity, which moto lacks under threads.

dynalite has no transactions, TTL or PartiQL; tests here exercise single-item
conditional writes only.
"""

from __future__ import annotations

import itertools
import socket
import subprocess
import time
from collections.abc import Iterator

import pytest

from tests.conftest import ROOT, reset_process_state

DYNALITE = ROOT / "node_modules" / ".bin" / "dynalite"
_tables = itertools.count()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def dynalite_url() -> Iterator[str]:
    if not DYNALITE.exists():
        pytest.fail("dynalite is not installed: run `npm ci` (make test does it)")
    port = _free_port()
    process = subprocess.Popen(
        [str(DYNALITE), "--host", "127.0.0.1", "--port", str(port), "--createTableMs", "0"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 20
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                pytest.fail("dynalite did not start")
            time.sleep(0.1)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def dynalite(dynalite_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A fresh table on dynalite, with settings and clients pointed at it."""
    from chalicelib.store.tables import create_table

    monkeypatch.setenv("HEARTH_AWS_ENDPOINT_URL", dynalite_url)
    monkeypatch.setenv("HEARTH_TABLE", f"hearth-atomic-{next(_tables)}")
    reset_process_state()
    create_table(ignore_update_ttl_errors=True)  # dynalite has no UpdateTimeToLive
    return dynalite_url


def weekly_session(capacity: int, facilitator_id: str):
    """A group with a weekly series of `capacity` seats: (sessions service, group id, next session id)."""
    from datetime import UTC, datetime

    from chalicelib.domain.identity import Caller, Role
    from chalicelib.services.groups import GroupService
    from chalicelib.services.sessions import SessionService
    from chalicelib.store.facilitators import FacilitatorItem

    FacilitatorItem(
        f"FAC#{facilitator_id}", "FAC", facilitator_id=facilitator_id, display_name="R", token_hash="x"
    ).save()
    facilitator = Caller(Role.FACILITATOR, subject_id=facilitator_id)
    groups = GroupService()
    group = groups.create(
        facilitator,
        name="Seats Group",
        topic="seats",
        description="",
        timezone="UTC",
        access="invite",
        listed=False,
        max_members=None,
        session_label=None,
    )
    sessions = SessionService(groups=groups, clock=lambda: datetime(2026, 11, 27, 12, tzinfo=UTC))
    series = sessions.create_series(
        facilitator,
        group.group_id,
        title=None,
        start_local="2026-12-01T18:00",
        timezone="UTC",
        duration_minutes=60,
        rrule="FREQ=WEEKLY",
        capacity=capacity,
        conference_url=None,
    )
    return sessions, facilitator, group.group_id, series.next_sessions[0].session_id
