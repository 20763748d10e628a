"""Schemathesis fuzzes the running local stack from its own /openapi.json, as each kind of caller.

Bounded by examples per operation (not time), so a run costs the same every time. Checks: no
server errors, only documented status codes, responses that match their schemas.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.running_stack import ADMIN_TOKEN, running_stack

CHECKS = "not_a_server_error,status_code_conformance,response_schema_conformance"
EXAMPLES = "6"


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    with running_stack(tmp_path_factory.mktemp("fuzz") / "outbox.jsonl") as running:
        yield running


@pytest.fixture(scope="module")
def tokens(stack):
    _, facilitator = stack.call("POST", "/v1/admin/facilitators", {"display_name": "Fuzz"}, ADMIN_TOKEN)
    _, group = stack.call(
        "POST",
        "/v1/groups",
        {
            "name": "Fuzz Group",
            "topic": "fuzz",
            "timezone": "America/New_York",
            "listed": True,
            "access": "open",
        },
        facilitator["token"],
    )
    stack.call(
        "POST",
        f"/v1/groups/{group['group_id']}/series",
        {
            "start_local": "2027-01-05T19:00",
            "timezone": "America/New_York",
            "duration_minutes": 60,
            "rrule": "FREQ=WEEKLY;BYDAY=TU",
            "capacity": 5,
        },
        facilitator["token"],
    )
    _, member = stack.call("POST", "/v1/join", {"code": group["join_code"]})
    return {"anonymous": None, "member": member["token"], "facilitator": facilitator["token"]}


@pytest.mark.parametrize("caller", ["anonymous", "member", "facilitator"])
def test_no_operation_fails_any_check(stack, tokens, caller, tmp_path: Path):
    command = [
        str(Path(sys.executable).parent / "st"),
        "run",
        f"{stack.base}/openapi.json",
        "--checks",
        CHECKS,
        "--max-examples",
        EXAMPLES,
        "--phases",
        "examples,fuzzing",  # the coverage phase sends TRACE, which chalice local answers itself
        "--seed",
        "20261127",
        "--no-shrink",
        "--workers",
        "1",
        "--exclude-path-regex",
        "^/v1/dev/",  # the local-only outbox is cleared by DELETE
        "--exclude-path-regex",
        "^/v1/me$",  # DELETE /v1/me would erase the caller mid-run
        "--report-dir",
        str(tmp_path),
    ]
    if tokens[caller]:
        command += ["--header", f"Authorization: Bearer {tokens[caller]}"]

    run = subprocess.run(command, capture_output=True, text=True, timeout=900)

    assert run.returncode == 0, run.stdout[-6000:]
