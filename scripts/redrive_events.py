"""`make redrive-events`: replay the inbound SMS and SES feedback events that failed every attempt.

SNS invokes the inbound SMS and email feedback functions asynchronously. An event that still
fails after Lambda's retries goes to `hearth-<stage>-events-failed` as an invocation record:
`{"requestContext": {"functionArn": ..., "condition": ...}, "requestPayload": <the SNS event>}`.
This invokes the function named in each record again with its original event (asynchronously:
if it fails again it comes back to the queue), then deletes the record. Records for any other
function are left where they are. Both handlers are idempotent (an inbound message id is handled
once, a suppression written twice is the same), so a replay never acts twice.

Fix the cause first (the alarm's runbook entry), then run it; it prints what it did.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any


def redrive(sqs: Any, lam: Any, queue_url: str, stage: str) -> tuple[int, int]:
    """(replayed, left) after one pass over the queue."""
    replayed = left = 0
    prefix = f":function:hearth-{stage}-"
    while True:
        batch = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, VisibilityTimeout=60)
        messages = batch.get("Messages", [])
        if not messages:
            return replayed, left
        for message in messages:
            try:
                record = json.loads(message["Body"])
                function = str(record["requestContext"]["functionArn"])
                payload = record["requestPayload"]
            except (ValueError, KeyError, TypeError):
                left += 1
                continue
            if prefix not in function:
                left += 1
                continue
            lam.invoke(FunctionName=function, InvocationType="Event", Payload=json.dumps(payload))
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
            replayed += 1


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--stage", choices=("dev", "prod"), required=True)
    parser.add_argument("--region", default=None)
    args = parser.parse_args()
    import boto3

    session = boto3.session.Session(region_name=args.region)
    sqs = session.client("sqs")
    url = sqs.get_queue_url(QueueName=f"hearth-{args.stage}-events-failed")["QueueUrl"]
    replayed, left = redrive(sqs, session.client("lambda"), url, args.stage)
    print(f"replayed {replayed} events; {left} left in the queue (not this stack's, or unreadable)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
