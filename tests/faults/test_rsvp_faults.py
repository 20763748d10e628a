"""Seats, waitlists and the notices they owe, with DynamoDB and SQS failing or racing.

A race is run as a deterministic interleaving: the competing request runs inside the botocore
call of the first one, right before that call reaches DynamoDB.
"""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from tests.faults.botocore_faults import Faults

SQS_SEND = ("sqs", "SendMessageBatch")


@pytest.fixture
def seats(api, clock) -> dict[str, Any]:
    """A session with one seat: `first` going, `second` waiting, `third` not yet answered."""
    facilitator = api.create_facilitator("Robin")
    group = api.create_group(facilitator["token"], name="Tuesday Circle")
    series = api.create_series(facilitator["token"], group["group_id"], capacity=1)
    session_id = series["next_sessions"][0]["session_id"]
    code = group["invite"]["code"]
    people = {name: api.member(code) for name in ("first", "second", "third")}
    for name in ("first", "second"):
        assert rsvp(api, people[name], session_id).status_code == 200
    return {"facilitator": facilitator, "session_id": session_id, "series": series, **people}


def rsvp(api, member, session_id, method="PUT"):
    return api.call(method, f"/v1/sessions/{session_id}/rsvp", token=member["token"])


def roster(api, seats) -> dict[str, Any]:
    from chalicelib.domain.recurrence import parse_session_id
    from chalicelib.store.sessions import SessionRepository

    item = SessionRepository().get(*parse_session_id(seats["session_id"]), consistent=True)
    return {"going": set(item.going or ()), "waitlist": list(item.waitlist or ())}


def queued() -> list[dict[str, Any]]:
    from chalicelib.settings import reminder_queue_name

    sqs = boto3.client("sqs")
    url = sqs.get_queue_url(QueueName=reminder_queue_name())["QueueUrl"]
    bodies = []
    while True:
        found = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        if not found:
            return bodies
        bodies += [json.loads(message["Body"]) for message in found]


def minute_job() -> None:
    """What EventBridge runs every minute: owed notices are queued, then reminders swept."""
    from chalicelib.services.container import services

    services().sessions.deliver_owed()


def interleave(faults: Faults, operation: str, competing, *, after: int = 0) -> None:
    """Run `competing()` once, just before the (after+1)th `operation` reaches DynamoDB."""
    state = {"seen": 0, "ran": False}

    def when(_params: dict[str, Any]) -> bool:
        state["seen"] += 1
        if not state["ran"] and state["seen"] > after:
            state["ran"] = True
            competing()
        return False

    faults.fail("dynamodb", operation, when=when)


def test_cancelled_session_whose_queueing_fails_still_tells_members(api, seats, faults: Faults):
    """Given SQS refusing, when the facilitator cancels, then 200 (not 500) and the notice is owed;
    the facilitator's retry (or the minute job) queues it."""
    faults.fail(*SQS_SEND, code="AWS.SimpleQueueService.Throttling", status=403, times=None)
    path = f"/v1/sessions/{seats['session_id']}"
    token = seats["facilitator"]["token"]

    first = api.call("PATCH", path, {"status": "cancelled"}, token=token)

    assert first.status_code == 200, first.body
    assert first.json["status"] == "cancelled"
    faults.clear()
    again = api.call("PATCH", path, {"status": "cancelled"}, token=token)
    assert again.status_code == 200
    told = [job for job in queued() if job["kind"] == "cancelled"]
    assert [job["member_id"] for job in told] == [seats["first"]["member_id"]]


def test_owed_notice_is_queued_by_the_minute_job(api, seats, faults: Faults):
    faults.fail(*SQS_SEND, code="InternalError", status=500, times=None)
    api.call(
        "PATCH",
        f"/v1/sessions/{seats['session_id']}",
        {"status": "cancelled"},
        token=seats["facilitator"]["token"],
    )
    faults.clear()

    minute_job()
    minute_job()  # settled: nothing twice

    assert [job["kind"] for job in queued()] == ["cancelled"]


def test_cancel_racing_a_move_answers_409_not_500(api, seats, faults: Faults):
    path = f"/v1/sessions/{seats['session_id']}"
    token = seats["facilitator"]["token"]
    interleave(faults, "UpdateItem", lambda: api.call("PATCH", path, {"status": "cancelled"}, token=token))

    moved = api.call("PATCH", path, {"start_local": "2026-12-02T19:00"}, token=token)

    assert moved.status_code == 409, moved.body
    assert moved.json["code"] == "session_cancelled"
    assert api.call("GET", path, token=token).json["status"] == "cancelled"


def test_promoted_member_whose_notice_fails_is_told_later(api, seats, faults: Faults):
    faults.fail(*SQS_SEND, code="AWS.SimpleQueueService.Throttling", status=403, times=None)

    answer = rsvp(api, seats["first"], seats["session_id"], "DELETE")

    assert answer.status_code == 204, answer.body
    assert roster(api, seats)["going"] == {seats["second"]["member_id"]}
    faults.clear()
    minute_job()
    told = [job for job in queued() if job["kind"] == "promoted"]
    assert [job["member_id"] for job in told] == [seats["second"]["member_id"]]


def test_freed_seat_goes_to_the_waitlist_head_even_when_a_write_fails(api, seats, faults: Faults):
    """The second DynamoDB write after freeing the seat fails (on a two-write design: the promotion);
    a newcomer then asks for the seat, and the member retries: the head has the seat."""
    faults.fail("dynamodb", "UpdateItem", code="ProvisionedThroughputExceededException", after=1)

    first_try = rsvp(api, seats["first"], seats["session_id"], "DELETE")
    newcomer = rsvp(api, seats["third"], seats["session_id"])
    retry = rsvp(api, seats["first"], seats["session_id"], "DELETE")

    assert first_try.status_code in (204, 503), first_try.body
    assert retry.status_code == 204
    assert newcomer.json["status"] == "waitlisted"
    now = roster(api, seats)
    assert now["going"] == {seats["second"]["member_id"]}
    assert now["waitlist"] == [seats["third"]["member_id"]]


def test_waitlisted_cancel_racing_their_promotion_leaves_them_out_and_untold(api, seats, faults: Faults):
    """The waiting member cancels; just before their write lands, the seat holder leaves and
    promotes them (and the queue is down, so the promotion notice is still owed)."""
    faults.fail(*SQS_SEND, code="AWS.SimpleQueueService.Throttling", status=403, times=None)
    interleave(faults, "UpdateItem", lambda: rsvp(api, seats["first"], seats["session_id"], "DELETE"))

    answer = rsvp(api, seats["second"], seats["session_id"], "DELETE")

    assert answer.status_code == 204
    now = roster(api, seats)
    assert seats["second"]["member_id"] not in now["going"]
    assert now["waitlist"] == []
    faults.clear()
    minute_job()
    assert [job for job in queued() if job["kind"] == "promoted"] == []
