"""Inbound SMS under DynamoDB failures, redelivery and out-of-order or concurrent texts.

SNS redelivers a message whose handler failed; the same person's texts can be handled at the
same time or out of order. A race is a deterministic interleaving: the competing text is handled
inside the botocore call of the first, right before that call reaches DynamoDB.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.faults.botocore_faults import Faults
from tests.integration.test_inbound_sms import PHONE, sns_event

T0 = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


@pytest.fixture
def text(api):
    """Deliver an inbound SMS to the SNS handler; the replies the number got (a failure raises)."""
    from chalicelib.events.sms import inbound_sms

    def deliver(body: str, **kwargs: Any) -> list[str]:
        number = kwargs.get("number", PHONE)
        before = len(api.outbox(number))
        inbound_sms(sns_event(body, **kwargs), None)
        return [m["body"] for m in api.outbox(number)[before:]]

    return deliver


def memberships(number: str, group_id: str) -> list[Any]:
    from chalicelib.services.sms_policy import phone_hash
    from chalicelib.store.members import MemberRepository

    return [m for m in MemberRepository().by_phone(phone_hash(number)) if m.group_id == group_id]


def seats_and_uses(group_id: str, code: str) -> tuple[int, int, int]:
    """(member_count, handles taken, invite uses) as stored."""
    from chalicelib.store.groups import GroupRepository, InviteRepository

    group = GroupRepository().get(group_id, consistent=True)
    return int(group.member_count), len(group.handle_keys or ()), int(InviteRepository().get(code).uses)


def lease_lapses() -> None:
    from chalicelib.services.container import services

    later = datetime.now(UTC) + timedelta(minutes=3)  # SNS retries after 1 and 2 more minutes
    services().inbound_sms.clock = lambda: later


def interleave(faults: Faults, operations: tuple[str, ...], competing) -> None:
    """Run `competing()` once, just before the first of `operations` reaches DynamoDB."""
    state = {"ran": False}

    def when(_params: dict[str, Any]) -> bool:
        if not state["ran"]:
            state["ran"] = True
            competing()
        return False

    for operation in operations:
        faults.fail("dynamodb", operation, when=when)


def test_stop_whose_opt_out_write_fails_is_honoured_on_redelivery(api, world, text, faults: Faults):
    code = world["group_here"]["invite"]["code"]
    text(f"JOIN {code}")
    faults.fail("dynamodb", "UpdateItem", code="ProvisionedThroughputExceededException")

    with pytest.raises(Exception, match="unavailable"):  # the handler fails; SNS redelivers
        text("STOP", message_id="stop-1")
    replies = text("STOP", message_id="stop-1")

    assert [m.phone_status for m in memberships(PHONE, world["group_here"]["group_id"])] == ["opted_out"]
    assert len(replies) == 1  # the one confirmation, sent with the work that earned it


@pytest.mark.parametrize("step", range(12))
def test_join_failing_at_any_step_is_completed_by_the_redelivery(api, world, text, faults: Faults, step):
    """Every DynamoDB call from step n on fails (undo steps too); SNS redelivers: one membership
    with its phone, one seat, one invite use, and a welcome."""
    group_id, code = world["group_here"]["group_id"], world["group_here"]["invite"]["code"]
    before = seats_and_uses(group_id, code)
    rule = faults.fail("dynamodb", "*", code="InternalServerError", status=500, times=None, after=step)

    try:
        first = text(f"JOIN {code}", message_id="join-1")
    except Exception:  # the handler failed; SNS redelivers
        first = []
    faults.clear()
    lease_lapses()  # a claim the failed handler could not give back lapses before SNS retries
    again = text(f"JOIN {code}", message_id="join-1")

    found = memberships(PHONE, group_id)
    assert [(m.status, m.phone_status) for m in found] == [("active", "verified")], rule.fired
    assert seats_and_uses(group_id, code) == (before[0] + 1, before[1] + 1, before[2] + 1)
    assert any(re.search(r"#login=", reply) for reply in first + again)


def test_start_and_stop_racing_end_in_the_state_of_the_later_stop(api, world, text, faults: Faults):
    """Opted out at t0; a START sent at t1 is being handled when a STOP sent at t2 > t1 arrives."""
    code = world["group_here"]["invite"]["code"]
    text(f"JOIN {code}", at=T0 - timedelta(minutes=5))
    text("STOP", at=T0)
    interleave(faults, ("UpdateItem",), lambda: text("STOP", at=T0 + timedelta(seconds=2)))

    text("START", at=T0 + timedelta(seconds=1))

    assert [m.phone_status for m in memberships(PHONE, world["group_here"]["group_id"])] == ["opted_out"]


def test_join_texted_twice_at_once_makes_one_membership(api, world, text, faults: Faults):
    """Two JOINs (two message ids): the second is handled entirely just before the first writes."""
    group_id, code = world["group_here"]["group_id"], world["group_here"]["invite"]["code"]
    before = seats_and_uses(group_id, code)
    second: list[str] = []
    interleave(
        faults,
        ("UpdateItem", "TransactWriteItems", "BatchWriteItem"),
        lambda: second.extend(text(f"JOIN {code}", message_id="join-b")),
    )

    first = text(f"JOIN {code}", message_id="join-a")

    assert len(memberships(PHONE, group_id)) == 1
    assert seats_and_uses(group_id, code) == (before[0] + 1, before[1] + 1, before[2] + 1)
    assert re.search(r"#login=", first[0])
    assert re.search(r"#login=", second[0])
