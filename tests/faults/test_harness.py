"""The fault harness itself: an injected failure reaches the caller as the service's own error."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from tests.faults.botocore_faults import Crash, Faults


@pytest.fixture
def sqs():
    with mock_aws():
        client = boto3.client("sqs", region_name="us-east-1")
        yield client, client.create_queue(QueueName="q")["QueueUrl"]


def test_injected_error_carries_the_service_code_and_status(faults: Faults, sqs) -> None:
    client, url = sqs
    faults.fail("sqs", "SendMessage", code="AWS.SimpleQueueService.Throttling", status=403)
    with pytest.raises(ClientError) as raised:
        client.send_message(QueueUrl=url, MessageBody="x")
    assert raised.value.response["Error"]["Code"] == "AWS.SimpleQueueService.Throttling"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    client.send_message(QueueUrl=url, MessageBody="y")  # times=1: the next call goes through
    assert faults.count("sqs", "SendMessage") == 2


def test_unparsed_body_reports_the_status_as_the_code(faults: Faults, sqs) -> None:
    client, url = sqs
    faults.fail("sqs", "SendMessage", code=None, status=502)
    with pytest.raises(ClientError) as raised:
        client.send_message(QueueUrl=url, MessageBody="x")
    assert raised.value.response["Error"]["Code"] == "502"


def test_crash_after_the_call_leaves_its_effect(faults: Faults, sqs) -> None:
    client, url = sqs
    faults.crash("sqs", "SendMessage", before=False)
    with pytest.raises(Crash):
        client.send_message(QueueUrl=url, MessageBody="x")
    assert len(client.receive_message(QueueUrl=url).get("Messages", [])) == 1


def test_after_lets_the_first_calls_through(faults: Faults, sqs) -> None:
    client, url = sqs
    faults.fail("sqs", "SendMessage", after=1)
    client.send_message(QueueUrl=url, MessageBody="first")
    with pytest.raises(ClientError):
        client.send_message(QueueUrl=url, MessageBody="second")
