"""Joining and erasure cut at every DynamoDB step: nothing is left half-done, nothing leaks.

From step n on every DynamoDB request fails, so a step that would undo an earlier one fails too.
"""

from __future__ import annotations

import pytest

from tests.faults.botocore_faults import Faults
from tests.faults.test_inbound_sms_faults import seats_and_uses


def handles(api, world) -> list[str]:
    roster = api.call(
        "GET",
        f"/v1/groups/{world['group_here']['group_id']}/members",
        token=world["facilitator_here"]["token"],
    ).json["members"]
    return sorted(m["handle"] for m in roster if m["role"] == "member")


@pytest.mark.parametrize("step", range(8))
def test_join_failing_at_any_step_takes_nothing(api, world, faults: Faults, step):
    group_id, code = world["group_here"]["group_id"], world["group_here"]["invite"]["code"]
    before, roster = seats_and_uses(group_id, code), handles(api, world)
    faults.fail("dynamodb", "*", code="InternalServerError", status=500, times=None, after=step)

    answer = api.join(code, "New Person")

    faults.clear()
    assert answer.status_code in (201, 503), answer.body
    joined = answer.status_code == 201
    assert seats_and_uses(group_id, code) == tuple(value + joined for value in before)
    assert handles(api, world) == sorted(roster + ["New Person"] * joined)
    if not joined:
        assert api.join(code, "New Person").status_code == 201  # the retry finds the handle free


@pytest.mark.parametrize("step", range(14))
def test_erasure_failing_at_any_step_is_finished_by_the_retry(api, world, faults: Faults, step):
    group_id, code = world["group_here"]["group_id"], world["group_here"]["invite"]["code"]
    leaving = api.member(code, "Leaving Soon")
    before = seats_and_uses(group_id, code)
    faults.fail("dynamodb", "*", code="InternalServerError", status=500, times=None, after=step)

    first = api.call("DELETE", "/v1/me", token=leaving["token"])

    faults.clear()
    assert first.status_code in (204, 503), first.body
    retry = api.call("DELETE", "/v1/me", token=leaving["token"])
    assert retry.status_code == (401 if first.status_code == 204 else 204), retry.body
    seats, taken, _uses = seats_and_uses(group_id, code)
    assert (seats, taken) == (before[0] - 1, before[1] - 1)  # the seat and the handle are free again
    assert "Leaving Soon" not in handles(api, world)
    assert api.join(code, "Leaving Soon").status_code == 201
