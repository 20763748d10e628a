"""A simulated SQS queue with the prod queue's settings, on a clock the test moves.

It stands in for `ReminderQueue` (the sweep, the worker's deferrals and the notices send into
it) and delivers to the real Lambda handler the way the SQS event source does:
- a received message is invisible for the visibility timeout (infra/template.yaml), then
  comes back unless the handler reported it done;
- each receive counts; a message received more than `maxReceiveCount` times moves to the DLQ;
- a handler that dies (`Crash`) reports nothing: its whole batch comes back after the timeout;
- `DelaySeconds` hides a new message for that long.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from scripts.local_runner import queue_settings
from tests.faults.botocore_faults import Crash


@dataclass
class Message:
    message_id: str
    body: str
    visible_at: datetime
    receives: int = 0


@dataclass
class SimQueue:
    clock: Callable[[], datetime]
    queue_name: str = "hearth-reminders"
    messages: list[Message] = field(default_factory=list)
    dead: list[Message] = field(default_factory=list)
    crashes: int = 0
    _ids: Any = field(default_factory=lambda: itertools.count(1))

    def __post_init__(self) -> None:
        prod = queue_settings(self.queue_name)
        self.visibility_timeout = timedelta(seconds=prod.visibility_timeout)
        self.max_receives = prod.max_receives

    # --- the ReminderQueue interface --------------------------------------------------

    def send(self, jobs: Iterable[Any], delay_seconds: int = 0) -> int:
        sent = 0
        for job in jobs:
            self.messages.append(
                Message(
                    f"msg-{next(self._ids)}", job.to_json(), self.clock() + timedelta(seconds=delay_seconds)
                )
            )
            sent += 1
        return sent

    # --- what the event source does ----------------------------------------------------

    def receive(self, limit: int = 10) -> list[Message]:
        now = self.clock()
        batch: list[Message] = []
        for message in list(self.messages):
            if len(batch) == limit:
                break
            if message.visible_at > now:
                continue
            if message.receives >= self.max_receives:  # SQS moves it instead of delivering it again
                self.messages.remove(message)
                self.dead.append(message)
                continue
            message.receives += 1
            message.visible_at = now + self.visibility_timeout
            batch.append(message)
        return batch

    def deliver(self, handler: Callable[[dict[str, Any], Any], Any] | None = None) -> int:
        """One invocation of the worker with what is visible now; returns how many it was given."""
        if handler is None:
            from chalicelib.events.reminders import reminder_worker

            handler = reminder_worker
        batch = self.receive()
        if not batch:
            return 0
        event = {"Records": [_record(message) for message in batch]}
        try:
            result = handler(event, None)
        except Crash:
            self.crashes += 1
            return len(batch)  # nothing reported: every message comes back after the timeout
        failed = {item["itemIdentifier"] for item in (result or {}).get("batchItemFailures", [])}
        for message in batch:
            if message.message_id not in failed:
                self.messages.remove(message)
        return len(batch)

    def drain(self) -> None:
        """Deliver until nothing is visible at the current time."""
        while self.deliver():
            pass

    def pending(self) -> list[Message]:
        return list(self.messages)


def _record(message: Message) -> dict[str, Any]:
    return {
        "messageId": message.message_id,
        "receiptHandle": f"rh-{message.message_id}-{message.receives}",
        "body": message.body,
        "attributes": {"ApproximateReceiveCount": str(message.receives)},
        "messageAttributes": {},
        "md5OfBody": "",
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:hearth-reminders",
        "awsRegion": "us-east-1",
    }
