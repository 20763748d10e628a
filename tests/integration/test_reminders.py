"""The reminder pipeline end to end: sweep → SQS (moto) → worker → outbox, with a pinned clock."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import boto3
import pytest

PHONE = "+16145550123"
EMAIL = "quiet@example.org"
FIRST = datetime(2026, 12, 2, 0, 0, tzinfo=UTC)  # Tue Dec 1, 7:00 PM EST


def at(year, month, day, hour=0, minute=0):
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


class Pipeline:
    """Drives the sweep and the worker the way EventBridge and SQS would."""

    def __init__(self, api, clock):
        import app as app_module
        from scripts.local_runner import LocalRunner

        self.api = api
        self.clock = clock
        self.runner = LocalRunner(app_module, sqs=boto3.client("sqs"), sns=boto3.client("sns"))
        self.runner.provision()
        self.sqs = boto3.client("sqs")
        self.url = self.runner.queue_urls["hearth-reminders"]

    def services(self):
        from chalicelib.services.container import services

        return services()

    def set_time(self, now: datetime) -> None:
        from chalicelib.notify.senders import pacer

        self.clock.now = now
        hub = self.services()
        hub.reminder_sweep.clock = self.clock
        hub.reminder_worker.clock = self.clock
        pacer().clock = self.clock  # the shared pace books seconds on the same clock

    def sweep_at(self, now: datetime) -> int:
        self.set_time(now)
        start = now.replace(second=0, microsecond=0)
        return self.services().reminder_sweep.sweep(start, start + timedelta(minutes=1), now)

    def drain(self) -> None:
        while self.runner.drain():
            pass

    def messages(self) -> list[dict]:
        return self.api.outbox()

    def texts(self, channel: str = "sms") -> list[str]:
        return [m["body"] for m in self.messages() if m["channel"] == channel]

    def queued(self) -> list[dict]:
        found = self.sqs.receive_message(QueueUrl=self.url, MaxNumberOfMessages=10, VisibilityTimeout=0)
        return [json.loads(m["Body"]) for m in found.get("Messages", [])]


def verified_member(api, code: str, *, phone: str = PHONE, email: str | None = EMAIL, timezone=None, **prefs):
    member = api.member(code)
    token = member["token"]
    contact = {"phone": phone} | ({"email": email} if email else {})
    api.call("PUT", "/v1/me/contact", contact, token=token)
    for channel, address in (("sms", phone), ("email", email)):
        if address is None:
            continue
        normalised = address if channel == "email" else phone
        code_sent = re.search(r"\b(\d{6})\b", api.outbox(normalised)[-1]["body"]).group(1)
        verified = api.call(
            "POST", "/v1/me/contact/verify", {"channel": channel, "code": code_sent}, token=token
        )
        assert verified.status_code == 200, verified.body
    reminders = {"channels": ["sms", "email"] if email else ["sms"], "lead_minutes": [1440, 60]} | prefs
    body = {"reminders": reminders} | ({"timezone": timezone} if timezone else {})
    assert api.call("PATCH", "/v1/me", body, token=token).status_code == 200
    api.call("DELETE", "/v1/dev/outbox")
    return member


@pytest.fixture
def pipeline(api, clock):
    return Pipeline(api, clock)


@pytest.fixture
def going(api, world, pipeline):
    """A member with a verified phone and email, going to the first Tuesday session."""
    member = verified_member(api, world["group_here"]["invite"]["code"])
    rsvp = api.call("PUT", f"/v1/sessions/{world['session_here']}/rsvp", token=member["token"])
    assert rsvp.json["status"] == "going"
    return member


def test_a_reminder_at_each_lead_time_by_each_verified_channel(pipeline, going):
    assert pipeline.sweep_at(at(2026, 12, 1, 0, 0)) == 2  # lead 1440: sms and email
    pipeline.drain()
    assert pipeline.sweep_at(at(2026, 12, 1, 23, 0)) == 2  # lead 60
    pipeline.drain()

    sms = pipeline.texts("sms")
    assert len(sms) == 2
    assert "Reminder: your session starts Tue Dec 1, 7:00 PM EST (tomorrow)." in sms[0]
    assert "(in 1 hour)" in sms[1]
    assert all(text.endswith("Reply STOP to opt out.") and "/g/grp_" in text for text in sms)
    emails = [m for m in pipeline.messages() if m["channel"] == "email"]
    assert [m["to"] for m in emails] == [EMAIL, EMAIL]
    assert {m["subject"] for m in emails} == {"A reminder from Hearth"}


def test_reminders_never_name_the_group_or_its_topic(pipeline, going):
    pipeline.sweep_at(at(2026, 12, 1, 23, 0))
    pipeline.drain()

    everything = json.dumps(pipeline.messages())
    assert "Tuesday Circle" not in everything
    assert "anxiety" not in everything.lower()


def test_minutes_with_nothing_due_queue_nothing(pipeline, going):
    assert pipeline.sweep_at(at(2026, 12, 1, 22, 59)) == 0
    assert pipeline.sweep_at(at(2026, 12, 1, 23, 1)) == 0


def test_nothing_is_sent_for_a_session_cancelled_after_the_sweep(api, world, pipeline, going):
    pipeline.sweep_at(at(2026, 12, 1, 23, 0))
    api.call(
        "PATCH",
        f"/v1/sessions/{world['session_here']}",
        {"status": "cancelled"},
        token=world["facilitator_here"]["token"],
    )

    pipeline.drain()

    sms = pipeline.texts("sms")
    assert not [t for t in sms if "Reminder" in t]
    assert ["cancelled" in t for t in sms] == [True]


def test_a_second_sweep_of_the_same_minute_sends_nothing_twice(pipeline, going):
    pipeline.sweep_at(at(2026, 12, 1, 23, 0))
    pipeline.sweep_at(
        at(
            2026,
            12,
            1,
            23,
            0,
        )
    )
    pipeline.drain()

    assert len(pipeline.texts("sms")) == 1
    assert len(pipeline.texts("email")) == 1


def test_a_redelivered_message_is_sent_once(pipeline, going):
    from chalicelib.events.reminders import reminder_worker

    pipeline.sweep_at(at(2026, 12, 1, 23, 0))
    received = pipeline.sqs.receive_message(QueueUrl=pipeline.url, MaxNumberOfMessages=10)["Messages"]
    event = {"Records": [_record(m) for m in received]}

    first = reminder_worker(event, None)
    again = reminder_worker(event, None)

    assert first == again == {"batchItemFailures": []}
    assert len(pipeline.texts("sms")) == 1


def _record(message: dict) -> dict:
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": {},
        "messageAttributes": {},
        "md5OfBody": "",
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:hearth-reminders",
        "awsRegion": "us-east-1",
    }


def test_a_missed_hour_is_caught_up_but_started_sessions_are_dropped(api, world, pipeline, going):
    from chalicelib.store.reminders import ReminderStateRepository

    early = api.create_series(
        world["facilitator_here"]["token"],
        world["group_here"]["group_id"],
        start_local="2026-12-01T18:10",
        rrule="FREQ=WEEKLY;BYDAY=TU",
    )
    api.call("PUT", f"/v1/sessions/{early['next_sessions'][0]['session_id']}/rsvp", token=going["token"])
    api.call(
        "PATCH", "/v1/me", {"reminders": {"channels": ["sms"], "lead_minutes": [60]}}, token=going["token"]
    )
    ReminderStateRepository().advance(at(2026, 12, 1, 22, 5))  # the last sweep before an outage
    pipeline.set_time(
        at(
            2026,
            12,
            1,
            23,
            20,
        )
    )  # back after 75 minutes

    enqueued = pipeline.services().reminder_sweep.run()
    pipeline.drain()

    assert enqueued == 1  # 23:00 for 00:00Z; the 23:10Z session's 22:10 reminder is dropped: it started
    assert len(pipeline.texts("sms")) == 1
    assert "7:00 PM EST" in pipeline.texts("sms")[0]
    # an hour behind, the sweep catches up first and looks ahead again on its next run
    assert ReminderStateRepository().get().watermark == at(2026, 12, 1, 23, 21)


@pytest.mark.parametrize(
    ("start_local", "due", "timezone", "expected"),
    [
        ("2027-03-07T19:00", at(2027, 3, 14, 22, 0), "America/New_York", "Sun Mar 14, 7:00 PM EDT"),
        ("2027-03-07T19:00", at(2027, 3, 14, 22, 0), "Europe/London", "Sun Mar 14, 11:00 PM GMT"),
        ("2027-10-31T19:00", at(2027, 11, 7, 23, 0), "America/New_York", "Sun Nov 7, 7:00 PM EST"),
        ("2027-10-31T19:00", at(2027, 11, 7, 23, 0), "America/Chicago", "Sun Nov 7, 6:00 PM CST"),
    ],
)
def test_the_local_hour_is_right_on_the_sunday_dst_changes(
    api, world, pipeline, start_local, due, timezone, expected
):
    series = api.create_series(
        world["facilitator_here"]["token"],
        world["group_here"]["group_id"],
        start_local=start_local,
        rrule="FREQ=WEEKLY;BYDAY=SU",
    )
    pipeline.set_time(due - timedelta(days=6))
    pipeline.services().series.materialise(
        pipeline.services().series.series.get(series["series_id"]), due + timedelta(days=2)
    )
    member = verified_member(api, world["group_here"]["invite"]["code"], email=None, timezone=timezone)
    session_id = next(
        s["session_id"] for s in series["next_sessions"] if s["start"] == _iso(due + timedelta(hours=1))
    )
    api.call("PUT", f"/v1/sessions/{session_id}/rsvp", token=member["token"])

    pipeline.sweep_at(due)
    pipeline.drain()

    assert [expected in text for text in pipeline.texts("sms")] == [True]


def _iso(instant: datetime) -> str:
    return instant.strftime("%Y-%m-%dT%H:%M:%SZ")


def _job(**fields):
    from chalicelib.services.reminder_jobs import Job

    base = {
        "kind": "reminder",
        "member_id": "",
        "group_id": "",
        "subject": "",
        "start": _iso(FIRST),
        "label": "your session",
        "channel": "sms",
        "lead": 1440,
    }
    return Job(**(base | fields))


class FakeQueue:
    def __init__(self):
        self.sent = []

    def send(self, jobs, delay_seconds=0):
        self.sent.extend((job, delay_seconds) for job in jobs)
        return len(self.sent)


def test_quiet_hours_delay_a_reminder_to_their_end_when_that_is_still_in_time(api, world, pipeline, going):
    from chalicelib.services.reminder_worker import ReminderWorker

    api.call(
        "PATCH",
        "/v1/me",
        {
            "reminders": {
                "channels": ["sms"],
                "lead_minutes": [1440, 60],
                "quiet_hours": {"start": "18:00", "end": "20:00"},
            }
        },
        token=going["token"],
    )
    queue = FakeQueue()
    pipeline.set_time(at(2026, 12, 1, 0, 0))  # 7:00 PM local: quiet
    worker = ReminderWorker(queue, clock=pipeline.clock)
    job = _job(member_id=going["member_id"], group_id=going["group_id"], subject=world["session_here"])

    assert worker.handle(job) == "deferred"
    deferred, delay = queue.sent[0]
    assert deferred.not_before == "2026-12-01T01:00:00Z"  # 8:00 PM local
    assert delay == 900  # SQS's longest delay; the message hops until then
    assert pipeline.texts() == []

    pipeline.set_time(at(2026, 12, 1, 0, 30))
    assert worker.handle(deferred) == "deferred"  # still early
    pipeline.set_time(at(2026, 12, 1, 1, 0))
    assert worker.handle(deferred) == "sent"
    assert len(pipeline.texts()) == 1


def test_quiet_hours_that_outlast_the_session_skip_the_reminder(api, world, pipeline, going):
    from chalicelib.services.reminder_worker import ReminderWorker

    api.call(
        "PATCH",
        "/v1/me",
        {
            "reminders": {
                "channels": ["sms"],
                "lead_minutes": [60],
                "quiet_hours": {"start": "17:00", "end": "21:00"},
            }
        },
        token=going["token"],
    )
    worker = ReminderWorker(FakeQueue(), clock=lambda: at(2026, 12, 1, 23, 0))  # 6:00 PM local
    job = _job(
        member_id=going["member_id"], group_id=going["group_id"], subject=world["session_here"], lead=60
    )

    assert worker.handle(job) == "skipped:quiet_hours"
    assert pipeline.texts() == []


def test_an_opt_out_after_the_sweep_is_honoured_at_send_time(pipeline, going):
    from chalicelib.store.members import MemberItem, MemberRepository

    pipeline.sweep_at(at(2026, 12, 1, 23, 0))
    member = MemberRepository().get(going["group_id"], going["member_id"])
    member.update(actions=[MemberItem.phone_status.set("opted_out")])

    pipeline.drain()

    assert pipeline.texts("sms") == []
    assert len(pipeline.texts("email")) == 1


def test_a_throttled_send_is_paced_to_its_next_turn_and_then_sent_once(pipeline, going, monkeypatch):
    from chalicelib.events.reminders import reminder_worker
    from chalicelib.notify.senders import OutboxSender, TransientSendError

    real = OutboxSender.sms
    calls = []

    def throttled_once(self, to, body):
        calls.append(to)
        if len(calls) == 1:
            raise TransientSendError("Throttling")
        return real(self, to, body)

    monkeypatch.setattr(OutboxSender, "sms", throttled_once)
    pipeline.sweep_at(at(2026, 12, 1, 23, 0))
    received = pipeline.sqs.receive_message(QueueUrl=pipeline.url, MaxNumberOfMessages=10)["Messages"]
    event = {"Records": [_record(m) for m in received]}
    sms_id = next(m["MessageId"] for m in received if json.loads(m["Body"])["channel"] == "sms")

    first = reminder_worker(event, None)
    assert first == {"batchItemFailures": []}  # re-queued to its next turn, not a failed receive
    assert pipeline.texts("sms") == []
    deferred = pipeline.sqs.receive_message(QueueUrl=pipeline.url, MaxNumberOfMessages=10, WaitTimeSeconds=3)
    assert [json.loads(m["Body"])["channel"] for m in deferred.get("Messages", [])] == ["sms"]
    assert sms_id not in {m["MessageId"] for m in deferred["Messages"]}

    second = reminder_worker(event, None)
    again = reminder_worker({"Records": [_record(m) for m in deferred["Messages"]]}, None)

    assert second == again == {"batchItemFailures": []}
    assert len(pipeline.texts("sms")) == 1


def test_a_permanently_bad_number_is_marked_and_not_retried(pipeline, going, monkeypatch):
    from chalicelib.notify.senders import OutboxSender, PermanentSendError
    from chalicelib.store.members import MemberRepository

    def invalid(self, to, body):
        raise PermanentSendError("InvalidParameter", bad_address=True)

    monkeypatch.setattr(OutboxSender, "sms", invalid)
    pipeline.sweep_at(at(2026, 12, 1, 23, 0))
    pipeline.drain()

    assert MemberRepository().get(going["group_id"], going["member_id"]).phone_status == "pending"
    assert pipeline.queued() == []


def test_a_poison_message_ends_in_the_dead_letter_queue(pipeline):
    sqs = pipeline.sqs
    sqs.set_queue_attributes(QueueUrl=pipeline.url, Attributes={"VisibilityTimeout": "0"})
    sqs.send_message(QueueUrl=pipeline.url, MessageBody="{not json")

    for _ in range(8):
        pipeline.runner.drain()

    dlq = sqs.get_queue_url(QueueName="hearth-reminders-dlq")["QueueUrl"]
    dead = sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10).get("Messages", [])
    assert [m["Body"] for m in dead] == ["{not json"]


def test_people_going_hear_of_a_move_once(api, world, pipeline, going):
    token = world["facilitator_here"]["token"]
    pipeline.set_time(at(2026, 11, 28))
    api.call(
        "PATCH", f"/v1/sessions/{world['session_here']}", {"start_local": "2026-12-02T18:30"}, token=token
    )

    pipeline.drain()
    pipeline.drain()

    sms = pipeline.texts("sms")
    assert len(sms) == 1
    assert "has moved to Wed Dec 2, 6:30 PM EST" in sms[0]
    assert len(pipeline.texts("email")) == 1


def test_a_promoted_member_is_told(api, world, pipeline, going):
    token = world["facilitator_here"]["token"]
    series = api.create_series(
        token,
        world["group_here"]["group_id"],
        capacity=1,
        rrule="FREQ=WEEKLY;BYDAY=WE",
        start_local="2026-12-02T10:00",
    )
    session_id = series["next_sessions"][0]["session_id"]
    first = api.member(world["group_here"]["invite"]["code"])
    api.call("PUT", f"/v1/sessions/{session_id}/rsvp", token=first["token"])
    assert (
        api.call("PUT", f"/v1/sessions/{session_id}/rsvp", token=going["token"]).json["status"]
        == "waitlisted"
    )

    api.call("DELETE", f"/v1/sessions/{session_id}/rsvp", token=first["token"])
    pipeline.drain()

    assert ["A place opened up" in t for t in pipeline.texts("sms")] == [True]


def test_ending_a_series_tells_each_member_once(api, world, pipeline, going):
    second = world["series_here"]["next_sessions"][1]["session_id"]
    api.call("PUT", f"/v1/sessions/{second}/rsvp", token=going["token"])

    api.call(
        "DELETE", f"/v1/series/{world['series_here']['series_id']}", token=world["facilitator_here"]["token"]
    )
    pipeline.drain()

    assert ["no more dates" in t for t in pipeline.texts("sms")] == [True]


def test_email_links_unsubscribe_in_one_click(api, pipeline, going):
    pipeline.sweep_at(at(2026, 12, 1, 23, 0))
    pipeline.drain()
    text = pipeline.texts("email")[0]
    link = re.search(r"(/v1/unsubscribe/\S+)", text).group(1)

    response = api.call("POST", link)

    assert response.status_code == 200
    me = api.call("GET", "/v1/me", token=going["token"]).json
    assert me["reminders"]["channels"] == ["sms"]
    assert api.call("POST", link[:-3] + "abc").status_code == 404


def test_admin_sweep_queues_a_window(api, pipeline, going):
    from tests.conftest import TEST_ADMIN_TOKEN

    pipeline.set_time(at(2026, 11, 30, 12, 0))
    response = api.call(
        "POST",
        "/v1/admin/reminders/sweep",
        {"from": "2026-11-30T23:00:00Z", "to": "2026-12-01T23:30:00Z"},
        token=TEST_ADMIN_TOKEN,
    )

    assert response.status_code == 200
    assert response.json == {"enqueued": 4}
    too_long = api.call(
        "POST",
        "/v1/admin/reminders/sweep",
        {"from": "2026-11-01T00:00:00Z", "to": "2026-12-01T00:00:00Z"},
        token=TEST_ADMIN_TOKEN,
    )
    assert too_long.status_code == 422
