"""Every route answers a DynamoDB or SQS failure with 503 and the contract body, never 500.

Routes are the authorization matrix's (which a test keeps equal to the app's routes). Each is
called by a caller it serves while every DynamoDB request fails as DynamoDB answers after
botocore's retries; then with the failure at each single step in turn, so a multi-step route is
cut between any two of its requests.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.faults.botocore_faults import Faults
from tests.integration.test_authorization_matrix import MATRIX, _fill, route_values

MAX_STEPS = 40


def _served_caller(expected: dict[str, int]) -> str:
    """A caller the route serves (a success if any caller gets one), tried in a stable order."""
    for caller in ("facilitator_here", "member_here", "admin", "anonymous"):
        if expected[caller] < 400:
            return caller
    return "member_here"


def _values(api, world, route) -> dict[str, str]:
    return route_values(api, world, with_message=True, with_alert="{alert_id}" in route[1])


def _call(api, route, values, token):
    method, template = route
    spec, _expected = MATRIX[route]
    return api.call(method, _fill(template, values), _fill(spec.get("body"), values), token=token)


def _assert_contract(response: Any, route: Any) -> None:
    assert response.status_code != 500, (route, response.body)
    if response.status_code >= 400:
        body = json.loads(response.body)
        assert set(body) >= {"code", "message"}, (route, response.body)


ROUTES = sorted(r for r in MATRIX if not r[1].startswith("/static/"))


@pytest.mark.parametrize("route", ROUTES, ids=lambda route: f"{route[0]} {route[1]}")
def test_route_answers_503_when_dynamodb_fails(api, world, callers, faults: Faults, route):
    values = _values(api, world, route)
    caller = _served_caller(MATRIX[route][1])
    rule = faults.fail("dynamodb", "*", code="ProvisionedThroughputExceededException", times=None)

    response = _call(api, route, values, callers[caller])

    faults.clear()
    if rule.fired == 0:  # a page or document that needs no stored state
        assert response.status_code == MATRIX[route][1][caller], (route, response.body)
        return
    assert response.status_code == 503, (route, caller, response.status_code, response.body)
    assert json.loads(response.body) == {
        "code": "unavailable",
        "message": "The service is temporarily unavailable.",
    }


@pytest.mark.parametrize("route", ROUTES, ids=lambda route: f"{route[0]} {route[1]}")
def test_route_never_answers_500_when_any_one_step_fails(api, world, callers, faults: Faults, route):
    """The failure at step n, for every n the route reaches: a contract answer each time."""
    values = _values(api, world, route)
    caller = _served_caller(MATRIX[route][1])
    for step in range(MAX_STEPS):
        rule = faults.fail("dynamodb", "*", code="InternalServerError", status=500, after=step)
        response = _call(api, route, values, callers[caller])
        fired = rule.fired > 0
        faults.clear()
        _assert_contract(response, (route, step))
        if not fired:
            return
    pytest.fail(f"{route} made more than {MAX_STEPS} DynamoDB requests")


# Routes whose success queues notices, with what the caller gets while SQS fails: the change
# answers as usual and owes its notices until the queue takes them (tests/faults/test_rsvp_faults.py
# follows them to the queue).
QUEUEING = {
    ("PATCH", "/v1/sessions/{session_id}", "cancel"): ({"status": "cancelled"}, 200),
    ("PATCH", "/v1/sessions/{session_id}", "move"): ({"start_local": "2026-12-02T19:00"}, 200),
    ("DELETE", "/v1/series/{series_id}", "end"): (None, 204),
    ("DELETE", "/v1/sessions/{session_id}/rsvp", "leave"): (None, 204),
}


@pytest.mark.parametrize("route", sorted(QUEUEING), ids=lambda route: route[2])
def test_route_that_queues_answers_the_contract_when_sqs_fails(api, world, callers, faults: Faults, route):
    method, template, name = route
    body, expected = QUEUEING[route]
    values = _values(api, world, route)
    facilitator = callers["facilitator_here"]
    api.call("PATCH", f"/v1/series/{values['series_id']}", {"capacity": 1}, token=facilitator)
    holder = api.member(values["code"])  # going; member_here waits behind
    for token in (holder["token"], world["member_here"]["token"]):
        api.call("PUT", f"/v1/sessions/{values['session_id']}/rsvp", token=token)
    rule = faults.fail(
        "sqs", "SendMessageBatch", code="AWS.SimpleQueueService.Throttling", status=403, times=None
    )

    response = api.call(
        method, template.format(**values), body, token=holder["token"] if name == "leave" else facilitator
    )

    assert rule.fired, "the route queued nothing: the case proves nothing"
    assert response.status_code == expected, response.body
