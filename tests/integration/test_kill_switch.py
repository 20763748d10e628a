"""The kill switch: `/hearth/<stage>/sending` set to "paused" stops every SMS and email at once.

The senders here are the AWS ones (End User Messaging SMS in process, SES v2 on moto), the switch a
moto SSM parameter, and the shared fault harness records every call that reached botocore, so
"nothing was sent" means no SendTextMessage and no SendEmail left Hearth.
"""

from __future__ import annotations

import json

import boto3
import pytest

from tests.integration.test_reminders import _record, at, going, pipeline  # noqa: F401 (fixtures)

SWITCH = "/hearth/test/sending"
SMS = ("pinpoint-sms-voice-v2", "SendTextMessage")


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def switch(emulated_aws, monkeypatch):
    """The switch parameter ("on"), the AWS senders for the worker, and a clock for the cache."""
    from chalicelib.notify import kill_switch
    from chalicelib.settings import reset_settings

    monkeypatch.setenv("HEARTH_SENDING_SWITCH_PARAMETER", SWITCH)
    reset_settings()
    boto3.client("ses").verify_domain_identity(Domain="hearth.invalid")  # the default sender's domain
    ssm = boto3.client("ssm")
    ssm.put_parameter(Name=SWITCH, Value="on", Type="String")
    clock = FakeClock()
    monkeypatch.setattr(kill_switch, "clock", clock)

    def flip(value: str) -> None:
        ssm.put_parameter(Name=SWITCH, Value=value, Type="String", Overwrite=True)

    flip.clock = clock  # type: ignore[attr-defined]
    return flip


def _sent(faults) -> list[tuple[str, str]]:
    return [(s, o) for s, o, _ in faults.calls if (s, o) in (SMS, ("sesv2", "SendEmail"))]


def test_paused_stops_sms_and_email_before_they_reach_aws(switch, faults):
    from chalicelib.notify.kill_switch import SendingPausedError
    from chalicelib.notify.senders import AwsSender, TransientSendError

    switch("paused")

    with pytest.raises(SendingPausedError) as sms:
        AwsSender().sms("+16145550123", "Hearth: a test")
    with pytest.raises(SendingPausedError):
        AwsSender().email("quiet@example.org", "Hearth", "a test")

    assert isinstance(sms.value, TransientSendError)  # callers retry it, never mark it sent
    assert _sent(faults) == []


def test_a_paused_reminder_is_kept_and_sent_once_sending_is_on_again(switch, faults, pipeline, going):  # noqa: F811
    from chalicelib.events.reminders import reminder_worker
    from chalicelib.notify.senders import AwsSender

    pipeline.services().reminder_worker.outbound = lambda: AwsSender(clock=pipeline.clock)
    switch("paused")
    pipeline.sweep_at(at(2026, 12, 1, 23, 0))
    received = pipeline.sqs.receive_message(QueueUrl=pipeline.url, MaxNumberOfMessages=10)["Messages"]
    event = {"Records": [_record(m) for m in received]}
    ids = sorted(m["MessageId"] for m in received)
    assert {json.loads(m["Body"])["channel"] for m in received} == {"sms", "email"}

    paused = reminder_worker(event, None)

    assert sorted(f["itemIdentifier"] for f in paused["batchItemFailures"]) == ids  # back through SQS
    assert _sent(faults) == []

    switch("on")
    switch.clock.now += 31  # past the cache

    resumed = reminder_worker(event, None)

    assert resumed == {"batchItemFailures": []}
    assert sorted(_sent(faults)) == [SMS, ("sesv2", "SendEmail")]


def test_a_code_asked_for_while_paused_is_a_503_not_a_crash(switch, api, world):
    from chalicelib.notify.senders import AwsSender
    from chalicelib.services.container import services

    services().contact.outbound = AwsSender
    switch("paused")

    answer = api.call("PUT", "/v1/me/contact", {"phone": "+16145550123"}, token=world["member_here"]["token"])

    assert answer.status_code == 503
    assert answer.json["code"] == "sending_paused"


def test_the_switch_is_read_once_per_cache_period_and_a_flip_holds_until_it_ends(switch, faults):
    from chalicelib.notify.kill_switch import SendingPausedError
    from chalicelib.notify.senders import AwsSender

    for _ in range(3):
        AwsSender().sms("+16145550123", "Hearth: a test")
    switch("paused")
    AwsSender().sms("+16145550123", "Hearth: still within the cache")
    switch.clock.now += 30

    with pytest.raises(SendingPausedError):
        AwsSender().sms("+16145550123", "Hearth: a test")

    assert faults.count("ssm", "GetParameter") == 2
    assert len(_sent(faults)) == 4


def test_an_unreadable_switch_keeps_the_last_state_read(switch, faults, captured_logs):
    from chalicelib.notify.kill_switch import SendingPausedError
    from chalicelib.notify.senders import AwsSender

    switch("paused")
    with pytest.raises(SendingPausedError):
        AwsSender().sms("+16145550123", "Hearth: a test")
    faults.fail("ssm", "GetParameter", code="ThrottlingException", times=None)
    switch.clock.now += 60

    with pytest.raises(SendingPausedError):
        AwsSender().sms("+16145550123", "Hearth: a test")

    assert _sent(faults) == []
    assert "sending switch unreadable" in captured_logs.getvalue()


def test_a_process_that_never_read_the_switch_sends_when_ssm_fails(switch, faults, captured_logs):
    from chalicelib.notify.senders import AwsSender

    faults.fail("ssm", "GetParameter", code="InternalServerError", status=500, times=None)

    AwsSender().sms("+16145550123", "Hearth: a test")

    assert _sent(faults) == [SMS]
    assert "sending switch unreadable" in captured_logs.getvalue()


def test_without_a_switch_parameter_nothing_is_read(emulated_aws, faults):
    from chalicelib.notify.senders import AwsSender

    AwsSender().sms("+16145550123", "Hearth: a test")

    assert faults.count("ssm", "GetParameter") == 0
    assert _sent(faults) == [SMS]
