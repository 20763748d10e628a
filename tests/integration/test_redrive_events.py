"""`make redrive-events` (scripts/redrive_events.py) against a moto queue of failed invocations."""

from __future__ import annotations

import json

import boto3
from botocore.stub import Stubber

from scripts.redrive_events import redrive

ARN = "arn:aws:lambda:us-east-1:123456789012:function:hearth-prod-inbound-sms:$LATEST"
OTHER = "arn:aws:lambda:us-east-1:123456789012:function:someone-else:$LATEST"


def _record(function: str, payload: dict) -> str:
    return json.dumps(
        {
            "version": "1.0",
            "requestContext": {
                "functionArn": function,
                "condition": "RetriesExhausted",
                "approximateInvokeCount": 3,
            },
            "requestPayload": payload,
            "responseContext": {"statusCode": 200, "functionError": "Unhandled"},
            "responsePayload": {"errorMessage": "boom"},
        }
    )


def test_each_failed_event_is_invoked_again_with_its_own_payload_then_removed(aws):
    sqs = boto3.client("sqs")
    url = sqs.create_queue(QueueName="hearth-prod-events-failed")["QueueUrl"]
    stop = {"Records": [{"Sns": {"Message": json.dumps({"messageBody": "STOP"})}}]}
    sqs.send_message(QueueUrl=url, MessageBody=_record(ARN, stop))
    sqs.send_message(QueueUrl=url, MessageBody=_record(OTHER, {"x": 1}))
    sqs.send_message(QueueUrl=url, MessageBody="not a record")
    lam = boto3.client("lambda")
    stubber = Stubber(lam)
    stubber.add_response(
        "invoke",
        {"StatusCode": 202},
        {"FunctionName": ARN, "InvocationType": "Event", "Payload": json.dumps(stop)},
    )

    with stubber:
        replayed, left = redrive(sqs, lam, url, "prod")

    stubber.assert_no_pending_responses()
    assert (replayed, left) == (1, 2)
    remaining = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert (
        int(remaining["ApproximateNumberOfMessages"])
        + int(remaining["ApproximateNumberOfMessagesNotVisible"])
        == 2
    )
