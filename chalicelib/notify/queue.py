"""The reminder queue (SQS): where reminders and notices wait for the worker.

Messages are anything that renders itself as a queue body (`to_json`); what they mean is
the reminder service's business. A refused or unreachable queue is a `DependencyError`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

from chalicelib import aws
from chalicelib.errors import DependencyError
from chalicelib.settings import get_settings, reminder_queue_name

SEND_BATCH = 10  # SQS's limit per SendMessageBatch


class QueueMessage(Protocol):
    def to_json(self) -> str: ...


class ReminderQueue:
    def __init__(self) -> None:
        self._url: str | None = None

    @property
    def url(self) -> str:
        if self._url is None:
            settings = get_settings()
            self._url = (
                settings.reminder_queue_url
                or aws.client("sqs").get_queue_url(QueueName=reminder_queue_name())["QueueUrl"]
            )
        return self._url

    def _send_batch(self, entries: list[dict[str, Any]]) -> dict[str, Any]:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return aws.client("sqs").send_message_batch(QueueUrl=self.url, Entries=entries)
        except (ClientError, BotoCoreError) as exc:
            raise DependencyError("The reminder queue is unavailable.") from exc

    def send(self, messages: Iterable[QueueMessage], delay_seconds: int = 0) -> int:
        """Queue `messages` in batches of ten; entries SQS refuses are retried once."""
        pending = list(messages)
        sent = 0
        for start in range(0, len(pending), SEND_BATCH):
            batch = pending[start : start + SEND_BATCH]
            entries = [
                {"Id": str(index), "MessageBody": message.to_json(), "DelaySeconds": delay_seconds}
                for index, message in enumerate(batch)
            ]
            for _attempt in range(2):
                answer = self._send_batch(entries)
                failed = {entry["Id"] for entry in answer.get("Failed", [])}
                sent += len(entries) - len(failed)
                entries = [entry for entry in entries if entry["Id"] in failed]
                if not entries:
                    break
            if entries:
                raise DependencyError("The reminder queue refused messages.")
        return sent
