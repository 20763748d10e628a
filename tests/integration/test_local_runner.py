"""The local runner drives schedules, SQS and SNS handlers as AWS would."""

from __future__ import annotations

import json
import types
from datetime import UTC, datetime

import boto3
import pytest
from chalice import Chalice, Cron, Rate

from scripts.local_runner import LocalRunner, is_due


def _tiny_app():
    app = Chalice(app_name="runner-test")
    seen: dict[str, list] = {"ticks": [], "nightly": [], "sqs": [], "sns": []}

    @app.schedule(Rate(1, unit=Rate.MINUTES))
    def every_minute(event):
        seen["ticks"].append(event.time)

    @app.schedule(Cron(30, 3, "*", "*", "?", "*"))
    def nightly(event):
        seen["nightly"].append(event.time)

    @app.on_sqs_message(queue="work", batch_size=10)
    def worker(event):
        failures = []
        for record in event:
            seen["sqs"].append(record.body)
            if record.body == "fail":
                failures.append({"itemIdentifier": record.to_dict()["messageId"]})
        return {"batchItemFailures": failures}

    @app.on_sns_message(topic="inbound")
    def inbound(event):
        seen["sns"].append(json.loads(event.message))

    module = types.SimpleNamespace(
        app=app, every_minute=every_minute, nightly=nightly, worker=worker, inbound=inbound
    )
    return module, seen


@pytest.fixture
def runner(emulated_aws):
    module, seen = _tiny_app()
    local = LocalRunner(module, sqs=boto3.client("sqs"), sns=boto3.client("sns"))
    local.provision()
    return local, seen


def test_schedules_fire_on_their_minutes_only(runner):
    local, seen = runner

    local.tick(datetime(2026, 12, 1, 3, 28, 59, tzinfo=UTC))  # first tick only sets the clock
    local.tick(datetime(2026, 12, 1, 3, 29, 5, tzinfo=UTC))
    local.tick(datetime(2026, 12, 1, 3, 29, 40, tzinfo=UTC))  # same minute: nothing new
    local.tick(datetime(2026, 12, 1, 3, 30, 1, tzinfo=UTC))

    assert seen["ticks"] == ["2026-12-01T03:29:00Z", "2026-12-01T03:30:00Z"]
    assert seen["nightly"] == ["2026-12-01T03:30:00Z"]


def test_sqs_messages_are_handled_and_only_successes_deleted(runner):
    local, seen = runner
    sqs = boto3.client("sqs")
    url = local.queue_urls["work"]
    sqs.send_message(QueueUrl=url, MessageBody="ok")
    sqs.send_message(QueueUrl=url, MessageBody="fail")

    assert local.drain() == 2

    assert sorted(seen["sqs"]) == ["fail", "ok"]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attributes["ApproximateNumberOfMessagesNotVisible"] == "1"  # the failed one comes back
    assert "deadLetterTargetArn" in attributes["RedrivePolicy"]


def test_sns_publications_reach_the_sns_handler(runner):
    local, seen = runner
    boto3.client("sns").publish(
        TopicArn=local.topic_arns["inbound"], Message=json.dumps({"messageBody": "HELP"})
    )

    local.drain()

    assert seen["sns"] == [{"messageBody": "HELP"}]


@pytest.mark.parametrize(
    ("expression", "minute", "due"),
    [
        (Rate(5, unit=Rate.MINUTES), datetime(2026, 1, 1, 0, 10, tzinfo=UTC), True),
        (Rate(5, unit=Rate.MINUTES), datetime(2026, 1, 1, 0, 11, tzinfo=UTC), False),
        (Cron("0/15", "*", "*", "*", "?", "*"), datetime(2026, 1, 1, 7, 45, tzinfo=UTC), True),
        (Cron(0, "9-17", "?", "*", "2-6", "*"), datetime(2026, 1, 5, 9, 0, tzinfo=UTC), True),
        (Cron(0, "9-17", "?", "*", "2-6", "*"), datetime(2026, 1, 4, 9, 0, tzinfo=UTC), False),  # a Sunday
    ],
)
def test_schedule_expressions(expression, minute, due):
    assert is_due(expression, minute) is due
