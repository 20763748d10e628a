"""Reminder and notice delivery under production's faults.

Provider errors are injected at the botocore boundary with the codes SNS and SES really answer,
the queue is simulated with the prod queue's settings (visibility timeout, receive limit, DLQ),
and the worker dies at chosen calls. Each test checks what members end up receiving.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import boto3
import pytest

from tests.faults.botocore_faults import Faults
from tests.faults.sim_queue import SimQueue
from tests.integration.conftest import Api
from tests.integration.test_reminders import verified_member

PHONE = "+16145550123"
OTHER_PHONE = "+16145550188"  # moto treats numbers ending in 99 as opted out
EMAIL = "quiet@example.org"
START = datetime(2026, 12, 2, 0, 0, tzinfo=UTC)  # the first Tuesday session: 7:00 PM EST
DUE = START - timedelta(minutes=60)


def at(hour: int, minute: int = 0, day: int = 1) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def aws_sender(hub):
    """The worker sends through SNS and SES (moto), where faults are injected."""
    from chalicelib.notify.senders import AwsSender

    boto3.client("ses").verify_domain_identity(Domain="hearth.invalid")
    hub.reminder_worker.outbound = AwsSender


def texts() -> list[tuple[str, str]]:
    from moto.sns.models import sns_backends

    return list(sns_backends["123456789012"]["us-east-1"].sms_messages.values())


def emails() -> int:
    from moto.ses.models import ses_backends

    return len(ses_backends["123456789012"]["us-east-1"].sent_messages)


def going(api: Api, world, phone: str = PHONE, **prefs) -> dict:
    prefs = {"channels": ["sms"], "lead_minutes": [60]} | prefs
    member = verified_member(api, world["group_here"]["invite"]["code"], phone=phone, email=EMAIL, **prefs)
    assert api.call("PUT", f"/v1/sessions/{world['session_here']}/rsvp", token=member["token"]).json[
        "status"
    ] == ("going")
    return member


def sweep_due(hub, clock, when: datetime = DUE) -> int:
    clock.now = when
    return hub.reminder_sweep.sweep(when, when + timedelta(minutes=1), when)


def later(clock, queue: SimQueue, seconds: float | None = None) -> None:
    """Let the visibility timeout (or `seconds`) pass, then deliver what came back."""
    clock.now += timedelta(seconds=seconds) if seconds is not None else queue.visibility_timeout
    queue.drain()


def phone_status(member: dict) -> str:
    from chalicelib.store.members import MemberRepository

    return MemberRepository().get(member["group_id"], member["member_id"]).phone_status


# --- 1. transient provider errors are retried, never marked sent ------------------------------


@pytest.mark.parametrize(
    ("operation", "code", "status"),
    [
        ("Publish", "Throttled", 429),
        ("Publish", "KMSThrottling", 400),
        ("Publish", None, 502),  # an HTML body: botocore reports the status as the code
        ("Publish", None, 503),
        ("CheckIfPhoneNumberIsOptedOut", "Throttled", 429),
    ],
)
def test_a_transient_sns_error_is_retried_and_sent_once(
    api, world, hub, clock, queue, aws_sender, faults: Faults, operation, code, status
):
    going(api, world)
    sweep_due(hub, clock)
    faults.fail("sns", operation, code=code, status=status)

    queue.drain()
    assert texts() == []
    assert len(queue.pending()) == 1  # back after the visibility timeout, not consumed as sent

    later(clock, queue)

    assert [to for to, _ in texts()] == [PHONE]
    assert queue.pending() == []
    assert queue.dead == []


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("TooManyRequestsException", 429),
        ("LimitExceededException", 400),
        ("InternalServiceErrorException", 500),
    ],
)
def test_a_transient_ses_error_is_retried_and_sent_once(
    api, world, hub, clock, queue, aws_sender, faults: Faults, code, status
):
    going(api, world, channels=["email"])
    sweep_due(hub, clock)
    faults.fail("sesv2", "SendEmail", code=code, status=status)

    queue.drain()
    assert emails() == 0

    later(clock, queue)

    assert emails() == 1
    assert queue.pending() == []


# --- 2. a configuration error changes nobody, stops sending and raises the alarm metric --------


@pytest.mark.parametrize(
    ("code", "status", "message"),
    [
        ("AuthorizationError", 403, "User is not authorized to perform: SNS:Publish"),
        (
            "InvalidParameter",
            400,
            "Invalid parameter: MessageAttributes Reason: AWS.MM.SMS.OriginationNumber is not valid",
        ),
    ],
)
def test_a_configuration_error_changes_nobody_stops_sending_and_alarms(
    api, world, hub, clock, queue, aws_sender, faults: Faults, monkeypatch, code, status, message
):
    from chalicelib.services import reminder_worker

    counted: list[str] = []
    real_count = reminder_worker.count
    monkeypatch.setattr(
        reminder_worker, "count", lambda name, *a, **k: (counted.append(name), real_count(name, *a, **k))
    )
    first = going(api, world)
    second = going(api, world, phone=OTHER_PHONE)
    sweep_due(hub, clock)
    faults.fail("sns", "Publish", code=code, status=status, message=message, times=None)

    queue.drain()

    assert faults.count("sns", "Publish") == 1  # the rest of the batch was not attempted
    assert phone_status(first) == phone_status(second) == "verified"
    assert "delivery_misconfigured" in counted
    assert len(queue.pending()) == 2  # both come back

    faults.clear()  # ops fixed the configuration
    later(clock, queue)

    assert sorted(to for to, _ in texts()) == sorted([PHONE, OTHER_PHONE])


def test_an_invalid_number_changes_that_member_only(api, world, hub, clock, queue, aws_sender, faults):
    bad = going(api, world)
    good = going(api, world, phone=OTHER_PHONE)
    sweep_due(hub, clock)
    faults.fail(
        "sns",
        "Publish",
        code="InvalidParameter",
        message=f"Invalid parameter: PhoneNumber Reason: {PHONE} is not valid to publish to",
        when=lambda params: params.get("PhoneNumber") == PHONE,
    )

    queue.drain()

    assert phone_status(bad) == "pending"  # to be verified again; not "opted out"
    assert phone_status(good) == "verified"
    assert [to for to, _ in texts()] == [OTHER_PHONE]
    assert queue.pending() == []


# --- 9. notices are re-checked when sent ----------------------------------------------------


def _outbox(api: Api) -> list[str]:
    return [m["body"] for m in api.outbox() if m["channel"] == "sms"]


def test_a_moved_notice_is_not_sent_after_the_session_was_cancelled(api, world, hub, clock, queue):
    going(api, world)
    token = world["facilitator_here"]["token"]
    session = f"/v1/sessions/{world['session_here']}"
    assert api.call("PATCH", session, {"start_local": "2026-12-02T18:30"}, token=token).status_code == 200
    assert api.call("PATCH", session, {"status": "cancelled"}, token=token).status_code == 200

    queue.drain()

    sent = _outbox(api)
    assert not [text for text in sent if "has moved" in text]
    assert ["cancelled" in text for text in sent] == [True]


def _waitlisted_then_promoted(api: Api, world) -> tuple[str, dict]:
    """A one-seat session: someone takes the seat, `waiting` queues, the first leaves and
    `waiting` is promoted (a notice is queued). Returns the RSVP path and `waiting`."""
    series = api.create_series(
        world["facilitator_here"]["token"],
        world["group_here"]["group_id"],
        capacity=1,
        rrule="FREQ=WEEKLY;BYDAY=WE",
        start_local="2026-12-02T10:00",
    )
    rsvp = f"/v1/sessions/{series['next_sessions'][0]['session_id']}/rsvp"
    first = api.member(world["group_here"]["invite"]["code"])
    waiting = going(api, world)
    api.call("PUT", rsvp, token=first["token"])
    assert api.call("PUT", rsvp, token=waiting["token"]).json["status"] == "waitlisted"
    api.call("DELETE", rsvp, token=first["token"])
    return rsvp, waiting


def test_a_promoted_notice_does_not_reach_someone_who_left(api, world, hub, clock, queue):
    rsvp, waiting = _waitlisted_then_promoted(api, world)
    api.call("DELETE", rsvp, token=waiting["token"])  # ... and then they leave too

    queue.drain()

    assert not [text for text in _outbox(api) if "A place opened up" in text]


def test_a_promoted_member_still_going_is_told(api, world, hub, clock, queue):
    _waitlisted_then_promoted(api, world)

    queue.drain()

    assert ["A place opened up" in text for text in _outbox(api)] == [True]


# --- 10. a session moved after its reminder went out is reminded for its new time -------------


def test_a_session_moved_after_its_reminder_is_reminded_for_the_new_time(api, world, hub, clock, queue):
    going(api, world)
    sweep_due(hub, clock)
    queue.drain()
    assert len([t for t in _outbox(api) if "Reminder" in t]) == 1

    clock.now = at(23, 10)
    moved = api.call(
        "PATCH",
        f"/v1/sessions/{world['session_here']}",
        {"start_local": "2026-12-02T19:00"},
        token=world["facilitator_here"]["token"],
    )
    assert moved.status_code == 200
    queue.drain()  # the "moved" notice
    sweep_due(hub, clock, datetime(2026, 12, 2, 23, 0, tzinfo=UTC))
    queue.drain()

    reminders = [t for t in _outbox(api) if "Reminder" in t]
    assert len(reminders) == 2
    assert "Wed Dec 2, 7:00 PM EST" in reminders[1]


# --- 13. the catch-up sweep progresses hour by hour, bounded, and cheaply ----------------------


def _second_session(api: Api, world, member: dict, start_local: str) -> None:
    series = api.create_series(
        world["facilitator_here"]["token"], world["group_here"]["group_id"], start_local=start_local
    )
    api.call("PUT", f"/v1/sessions/{series['next_sessions'][0]['session_id']}/rsvp", token=member["token"])


def test_a_throttled_query_keeps_the_hours_already_queued(api, world, hub, clock, queue, faults: Faults):
    from chalicelib.errors import DependencyError
    from chalicelib.store.reminders import ReminderStateRepository

    member = going(api, world)
    _second_session(api, world, member, "2026-12-01T18:30")  # 23:30Z: due 22:30Z
    state = ReminderStateRepository()
    state.advance(at(22, 0))  # the last sweep before an outage
    clock.now = at(23, 0) + timedelta(seconds=30)
    faults.fail(
        "dynamodb",
        "Query",
        code="ProvisionedThroughputExceededException",
        times=None,
        when=lambda params: "START#2026-12-02T00" in str(params.get("ExpressionAttributeValues")),
    )

    with pytest.raises(DependencyError):
        hub.reminder_sweep.run()

    assert state.get().watermark == at(23, 0)  # 22:00-23:00 is done and stays done
    assert len(queue.pending()) == 1
    faults.clear()
    assert hub.reminder_sweep.run() == 1  # the 23:00 minute, once the index answers again
    assert state.get().watermark == at(23, 1)  # a burst of one needs no look-ahead


def test_the_scheduled_sweep_is_bounded_per_run_and_goes_on_from_its_watermark(api, world, hub, clock, queue):
    from chalicelib.store.reminders import ReminderStateRepository

    member = going(api, world)
    _second_session(api, world, member, "2026-12-01T18:30")
    state = ReminderStateRepository()
    state.advance(at(21, 0))
    clock.now = at(23, 0) + timedelta(seconds=30)
    hub.reminder_sweep.max_queries = 4  # one hour of due time for one lead, on four shards

    runs = []
    while not runs or state.get().watermark < at(23, 1):
        runs.append((hub.reminder_sweep.run(), state.get().watermark))

    assert runs == [(0, at(22, 0)), (1, at(23, 0)), (1, at(23, 1))]


def test_a_day_of_catch_up_costs_queries_per_hour_not_per_minute(api, world, hub, clock, queue, faults):
    from tests.conftest import TEST_ADMIN_TOKEN

    going(api, world, lead_minutes=[1440, 60])
    clock.now = at(0, 0, day=1) - timedelta(hours=1)
    faults.calls.clear()

    answer = api.call(
        "POST",
        "/v1/admin/reminders/sweep",
        {"from": "2026-11-30T23:00:00Z", "to": "2026-12-01T23:00:00Z"},
        token=TEST_ADMIN_TOKEN,
    )

    assert answer.status_code == 200
    assert answer.json == {"enqueued": 1}  # the 1440-minute reminder; the 60-minute one is due 23:00
    queries = faults.count("dynamodb", "Query")
    assert queries <= 24 * 2 * 4  # hours x lead times x shards (it was minutes x lead times x shards)


def test_sessions_indexed_per_minute_are_found_again_after_reindexing(api, world, hub, clock, queue):
    from chalicelib.store import keys
    from chalicelib.store.sessions import SeriesRepository, SessionItem, SessionRepository

    going(api, world)
    sessions = SessionRepository()
    series_id = world["series_here"]["series_id"]
    for item in sessions.in_series(series_id, clock.now):  # as written before the hour layout
        minute = f"{item.start:%Y-%m-%dT%H:%M}"
        item.update(
            actions=[
                SessionItem.start_minute.set(f"START#{minute}#{keys.start_shard(item.session_id)}"),
                SessionItem.start_sk.set(item.session_id),
            ]
        )
    assert sweep_due(hub, clock) == 0

    rewritten = sum(sessions.reindex_starts(s.series_id, clock.now) for s in SeriesRepository().active())

    assert rewritten >= 1
    assert sweep_due(hub, clock) == 1
    assert sum(sessions.reindex_starts(s.series_id, clock.now) for s in SeriesRepository().active()) == 0


# --- 14. a claim left by a dead worker is a lease, never a "sent" -----------------------------


def test_a_claim_left_by_a_dead_worker_is_sent_once_after_its_lease(api, world, hub, clock, queue):
    from chalicelib.services.reminder_jobs import Job

    going(api, world)
    sweep_due(hub, clock)
    job = Job.from_json(queue.pending()[0].body)
    ledger = hub.reminder_worker.ledger
    ledger.claim(  # then it died
        job.member_id, job.subject, "sms", job.what, clock.now, keep_until=START + timedelta(days=14)
    )

    queue.drain()
    assert _outbox(api) == []
    assert len(queue.pending()) == 1  # not deleted as a "duplicate"

    later(clock, queue)  # the prod visibility timeout outlasts the lease

    assert len(_outbox(api)) == 1
    assert queue.pending() == []
    assert queue.dead == []


def test_a_crash_before_the_provider_is_called_sends_once(api, world, hub, clock, queue, aws_sender, faults):
    going(api, world)
    sweep_due(hub, clock)
    faults.crash("sns", "Publish", before=True)

    queue.drain()
    assert queue.crashes == 1
    assert texts() == []
    later(clock, queue)

    assert len(texts()) == 1


def test_a_crash_after_the_provider_accepted_is_the_one_window_for_a_second_copy(
    api, world, hub, clock, queue, aws_sender, faults
):
    """The promise as written in the README: at least once; a second copy only if the worker died
    between the provider's acceptance and the ledger's "sent", and only after the lease."""
    going(api, world)
    sweep_due(hub, clock)
    faults.crash("sns", "Publish", before=False)

    queue.drain()
    assert len(texts()) == 1
    later(clock, queue)

    assert len(texts()) == 2
    later(clock, queue)
    assert len(texts()) == 2
    assert queue.pending() == []


def test_the_local_runner_hides_messages_as_long_as_the_prod_queue(emulated_aws):
    import json

    sqs = boto3.client("sqs")
    url = sqs.get_queue_url(QueueName="hearth-reminders")["QueueUrl"]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]

    assert attributes["VisibilityTimeout"] == "360"  # infra/template.yaml, > the 5-minute lease
    assert json.loads(attributes["RedrivePolicy"])["maxReceiveCount"] == 5


# --- 15. a late reminder says the real time left --------------------------------------------


def test_a_late_reminder_states_the_real_time_left(api, world, hub, clock, queue, aws_sender, faults):
    going(api, world)
    sweep_due(hub, clock)
    faults.fail("sns", "Publish", code="Throttled", status=429, times=3)

    queue.drain()  # 23:00, 23:06 and 23:12: throttled
    later(clock, queue)
    later(clock, queue)
    assert texts() == []
    clock.now = START - timedelta(minutes=25)
    queue.drain()

    [(_, text)] = texts()
    assert "(in 25 minutes)" in text
    assert "in 1 hour" not in text
