"""What AWS does around the Lambda functions, done locally against the emulator.

Reads the Chalice app's own event sources, so a new handler needs no change here:
- EventBridge schedules: each `@app.schedule` runs when its rate or cron is due;
- SQS triggers: each `@app.on_sqs_message` queue is polled, batches are handed to
  the handler, and only successfully handled messages are deleted (partial batch
  failures honoured);
- SNS triggers: each `@app.on_sns_message` topic is delivered through a local SQS
  subscription, wrapped as the SNS Lambda event.
Handlers are called exactly as Lambda would call them: `handler(event, context)`.
"""

from __future__ import annotations

import importlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

from chalice.app import Cron, Rate, ScheduledEventConfig, SNSEventConfig, SQSEventConfig
from chalice.local import LambdaContext

log = logging.getLogger("hearth.local")

DLQ_SUFFIX = "-dlq"
TEMPLATE = Path(__file__).resolve().parent.parent / "infra" / "template.yaml"
_RATE_SECONDS = {Rate.MINUTES: 60, Rate.HOURS: 3600, Rate.DAYS: 86400}


def _cron_field_matches(spec: str | int, value: int) -> bool:
    for part in str(spec).split(","):
        part = part.strip()
        if part in ("*", "?"):
            return True
        base, _, step = part.partition("/")
        if base in ("*", ""):
            low, high = 0, 10_000
        elif "-" in base:
            low, high = (int(x) for x in base.split("-", 1))
        else:
            low = int(base)
            high = 10_000 if step else low  # "5/15": from 5, every 15
        if step:
            if low <= value <= high and (value - low) % int(step) == 0:
                return True
        elif low <= value <= high:
            return True
    return False


def is_due(expression: Any, minute: datetime) -> bool:
    """Whether a Chalice schedule fires at this UTC minute."""
    if isinstance(expression, Rate):
        period = expression.value * _RATE_SECONDS[expression.unit]
        return int(minute.timestamp()) % period == 0
    if isinstance(expression, Cron):
        weekday = (minute.isoweekday() % 7) + 1  # EventBridge: 1 = Sunday
        return (
            _cron_field_matches(expression.minutes, minute.minute)
            and _cron_field_matches(expression.hours, minute.hour)
            and _cron_field_matches(expression.day_of_month, minute.day)
            and _cron_field_matches(expression.month, minute.month)
            and _cron_field_matches(expression.day_of_week, weekday)
        )
    raise ValueError(f"Unsupported schedule expression: {expression!r}")


@dataclass(frozen=True)
class QueueSettings:
    visibility_timeout: int
    max_receives: int


UNDECLARED_QUEUE = QueueSettings(visibility_timeout=30, max_receives=5)  # SQS's default timeout


def queue_settings(queue_name: str, template: Path = TEMPLATE) -> QueueSettings:
    """The visibility timeout and receive limit infra/template.yaml gives the queue that is
    `queue_name` in every stage (`hearth-${Stage}-reminders` for `hearth-reminders`), so that
    redelivery, leases and dead-lettering behave locally as they do in AWS. A queue the template
    does not declare (a test app's) gets SQS's defaults."""
    from scripts.package import load_yaml

    for resource in load_yaml(template).get("Resources", {}).values():
        if resource.get("Type") != "AWS::SQS::Queue":
            continue
        properties = resource.get("Properties", {})
        name = properties.get("QueueName", {})
        name = name.get("Fn::Sub", "") if isinstance(name, dict) else name
        if isinstance(name, str) and name.replace("${Stage}-", "") == queue_name:
            return QueueSettings(
                int(properties["VisibilityTimeout"]), int(properties["RedrivePolicy"]["maxReceiveCount"])
            )
    log.warning("queue not in the template: SQS defaults", extra={"queue": queue_name})
    return UNDECLARED_QUEUE


def _context(name: str) -> LambdaContext:
    return LambdaContext(function_name=f"hearth-local-{name}", memory_size=256, max_runtime_ms=900_000)


@dataclass
class LocalRunner:
    app_module: ModuleType
    sqs: Any
    sns: Any
    queue_urls: dict[str, str] = field(default_factory=dict)
    topic_arns: dict[str, str] = field(default_factory=dict)
    delivery_urls: dict[str, str] = field(default_factory=dict)
    last_minute: datetime | None = None

    @property
    def app(self) -> Any:
        return self.app_module.app

    def _handler(self, config: Any) -> Callable[[dict[str, Any], Any], Any]:
        """The Lambda entry point Chalice deploys for `config` (blueprint handlers live in their module)."""
        module_name, _, attribute = config.handler_string.rpartition(".")
        if hasattr(self.app_module, config.name) or module_name in ("", "app"):
            return getattr(self.app_module, config.name)
        return getattr(importlib.import_module(module_name), attribute)

    def provision(self) -> None:
        """Create every queue (with a DLQ) and topic the app's handlers listen to."""
        for config in self.app.event_sources:
            if isinstance(config, SQSEventConfig) and config.queue:
                dlq_url = self.sqs.create_queue(QueueName=config.queue + DLQ_SUFFIX)["QueueUrl"]
                dlq_arn = self.sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])[
                    "Attributes"
                ]["QueueArn"]
                prod = queue_settings(config.queue)
                redrive = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": prod.max_receives})
                self.queue_urls[config.queue] = self.sqs.create_queue(
                    QueueName=config.queue,
                    Attributes={"RedrivePolicy": redrive, "VisibilityTimeout": str(prod.visibility_timeout)},
                )["QueueUrl"]
            elif isinstance(config, SNSEventConfig):
                arn = self.sns.create_topic(Name=config.topic)["TopicArn"]
                delivery = self.sqs.create_queue(QueueName=f"{config.topic}-local-delivery")["QueueUrl"]
                delivery_arn = self.sqs.get_queue_attributes(QueueUrl=delivery, AttributeNames=["QueueArn"])[
                    "Attributes"
                ]["QueueArn"]
                self.sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=delivery_arn)
                self.topic_arns[config.topic] = arn
                self.delivery_urls[config.topic] = delivery

    def tick(self, now: datetime) -> int:
        """Run what is due at `now`: schedules for each new minute, then the queues."""
        handled = 0
        minute = now.astimezone(UTC).replace(second=0, microsecond=0)
        if self.last_minute is None or minute > self.last_minute:
            if self.last_minute is not None:
                handled += self._run_schedules(minute)
            self.last_minute = minute
        return handled + self.drain()

    def _run_schedules(self, minute: datetime) -> int:
        ran = 0
        for config in self.app.event_sources:
            if isinstance(config, ScheduledEventConfig) and is_due(config.schedule_expression, minute):
                event = {
                    "version": "0",
                    "id": f"local-{config.name}-{int(minute.timestamp())}",
                    "detail-type": "Scheduled Event",
                    "source": "aws.events",
                    "account": "123456789012",
                    "time": minute.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "region": "us-east-1",
                    "resources": [f"arn:aws:events:us-east-1:123456789012:rule/{config.name}"],
                    "detail": {},
                }
                self._invoke(config, event)
                ran += 1
        return ran

    def drain(self) -> int:
        """Deliver every waiting SQS and SNS message once; returns how many were handed over."""
        handled = 0
        for config in self.app.event_sources:
            if isinstance(config, SQSEventConfig) and config.queue in self.queue_urls:
                handled += self._drain_queue(config)
            elif isinstance(config, SNSEventConfig) and config.topic in self.delivery_urls:
                handled += self._drain_topic(config)
        return handled

    def _receive(self, url: str, batch_size: int) -> list[dict[str, Any]]:
        return self.sqs.receive_message(
            QueueUrl=url,
            MaxNumberOfMessages=max(1, min(batch_size, 10)),
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
            WaitTimeSeconds=0,
        ).get("Messages", [])

    def _drain_queue(self, config: SQSEventConfig) -> int:
        assert config.queue is not None  # Hearth's queues are named, never given by ARN
        url = self.queue_urls[config.queue]
        messages = self._receive(url, config.batch_size)
        if not messages:
            return 0
        arn = f"arn:aws:sqs:us-east-1:123456789012:{config.queue}"
        records = [
            {
                "messageId": message["MessageId"],
                "receiptHandle": message["ReceiptHandle"],
                "body": message["Body"],
                "attributes": message.get("Attributes", {}),
                "messageAttributes": message.get("MessageAttributes", {}),
                "md5OfBody": message.get("MD5OfBody", ""),
                "eventSource": "aws:sqs",
                "eventSourceARN": arn,
                "awsRegion": "us-east-1",
            }
            for message in messages
        ]
        result = self._invoke(config, {"Records": records})
        failed = {item["itemIdentifier"] for item in (result or {}).get("batchItemFailures", [])}
        if result is _FAILED:
            failed = {record["messageId"] for record in records}
        for message in messages:
            if message["MessageId"] not in failed:
                self.sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        return len(messages)

    def _drain_topic(self, config: SNSEventConfig) -> int:
        url = self.delivery_urls[config.topic]
        messages = self._receive(url, 10)
        for message in messages:
            envelope = json.loads(message["Body"])
            event = {
                "Records": [
                    {
                        "EventSource": "aws:sns",
                        "EventVersion": "1.0",
                        "EventSubscriptionArn": f"{self.topic_arns[config.topic]}:local",
                        "Sns": {
                            "Type": envelope.get("Type", "Notification"),
                            "MessageId": envelope["MessageId"],
                            "TopicArn": envelope["TopicArn"],
                            "Subject": envelope.get("Subject"),
                            "Message": envelope["Message"],
                            "Timestamp": envelope.get("Timestamp"),
                            "MessageAttributes": envelope.get("MessageAttributes", {}),
                        },
                    }
                ]
            }
            if self._invoke(config, event) is not _FAILED:
                self.sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        return len(messages)

    def _invoke(self, config: Any, event: dict[str, Any]) -> Any:
        try:
            return self._handler(config)(event, _context(config.name))
        except Exception:  # as in Lambda: the invocation fails, the trigger retries
            log.exception("handler failed", extra={"handler": config.name})
            return _FAILED


_FAILED: Any = object()
