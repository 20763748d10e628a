"""The partitions each function's role is held to (`dynamodb:LeadingKeys`) are the ones it touches.

`.chalice/policy-<function>.json` scopes the table for the sweep, the WebSocket handlers and the
SES feedback handler to a few partition-key patterns. Each handler is run here on moto with the
fault harness recording every DynamoDB request; every partition key it names on the table must
match a pattern of its role, or AWS would refuse the request (AccessDenied) in production.
Index queries are granted by a separate statement and not held to partitions.
"""

from __future__ import annotations

import json
import re
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from tests.integration.test_email_feedback import _verify_email, ses_event
from tests.integration.test_reminders import at, going, pipeline  # noqa: F401 (fixtures)
from tests.integration.test_websocket import connect, invoke, ws_event

POLICIES = Path(__file__).resolve().parents[2] / ".chalice"


def leading_keys(policy: str) -> list[str]:
    document = json.loads((POLICIES / policy).read_text())
    (table,) = [s for s in document["Statement"] if s["Sid"] == "Table"]
    return table["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"]


def _pk(key: dict[str, Any]) -> str:
    return key["pk"]["S"]


def partitions(calls: list[tuple[str, str, dict[str, Any]]]) -> list[str]:
    """The partition keys of every table (not index) request in `calls`."""
    found: list[str] = []
    for service, operation, params in calls:
        if service != "dynamodb":
            continue
        if operation in ("GetItem", "DeleteItem", "UpdateItem"):
            found.append(_pk(params["Key"]))
        elif operation == "PutItem":
            found.append(_pk(params["Item"]))
        elif operation == "Query" and "IndexName" not in params:
            names = {v: k for k, v in params.get("ExpressionAttributeNames", {}).items()}
            match = re.search(rf"{re.escape(names['pk'])} = (:\w+)", params["KeyConditionExpression"])
            found.append(params["ExpressionAttributeValues"][match.group(1)]["S"])
        elif operation == "BatchGetItem":
            found += [_pk(k) for table in params["RequestItems"].values() for k in table["Keys"]]
        elif operation == "BatchWriteItem":
            for requests in params["RequestItems"].values():
                for request in requests:
                    put, delete = request.get("PutRequest"), request.get("DeleteRequest")
                    found.append(_pk(put["Item"]) if put else _pk(delete["Key"]))
        elif operation in ("TransactWriteItems", "TransactGetItems"):
            for item in params["TransactItems"]:
                (action,) = item.values()
                found.append(_pk(action.get("Key") or action["Item"]))
    return found


def assert_within(policy: str, calls: list[tuple[str, str, dict[str, Any]]]) -> None:
    patterns = leading_keys(policy)
    touched = partitions(calls)
    assert touched, "the handler made no table request: nothing was checked"
    outside = sorted({pk for pk in touched if not any(fnmatchcase(pk, p) for p in patterns)})
    assert outside == [], f"{policy} allows {patterns} but the handler touched {outside}"


def test_the_sweep_touches_only_its_state_the_groups_and_the_series(pipeline, going, faults):  # noqa: F811
    faults.calls.clear()

    queued = pipeline.sweep_at(at(2026, 12, 1, 23, 0))

    assert queued
    assert_within("policy-reminder-sweep.json", faults.calls)


def test_connect_and_disconnect_touch_only_tokens_memberships_rooms_and_connections(api, world, faults):
    faults.calls.clear()
    member = connect(api, "conn-member=", world["member_here"]["token"])
    facilitator = connect(
        api, "conn-staff=", world["facilitator_here"]["token"], world["group_here"]["group_id"]
    )
    assert (member, facilitator) == (200, 200)
    assert_within("policy-ws-connect.json", faults.calls)

    faults.calls.clear()
    for connection in ("conn-member=", "conn-staff=", "conn-unknown="):
        invoke(api, "room_disconnect", ws_event("$disconnect", connection))
    assert_within("policy-ws-disconnect.json", faults.calls)


def test_email_feedback_touches_only_suppressions_and_memberships(api, world, faults):
    from chalicelib.events.email import email_feedback

    _verify_email(api, world["member_here"]["token"])
    faults.calls.clear()

    email_feedback(ses_event("Bounce"), None)

    assert_within("policy-email-feedback.json", faults.calls)


def test_the_scheduled_sweep_reading_ahead_and_again_touches_only_its_partitions(pipeline, going, faults):  # noqa: F811
    from chalicelib.store.reminders import ReminderStateRepository

    ReminderStateRepository().advance(at(2026, 12, 1, 23, 5))  # the 23:00 minute was planned ahead
    pipeline.set_time(at(2026, 12, 1, 23, 0))
    faults.calls.clear()

    pipeline.services().reminder_sweep.run()  # reads 23:00 again, and the ledger for who is queued

    assert any(op == "BatchGetItem" and "LEDGER#" in str(params) for _s, op, params in faults.calls)
    assert_within("policy-reminder-sweep.json", faults.calls)
