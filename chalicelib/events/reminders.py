"""The reminder sweep (every minute) and the queue worker: thin handlers over the reminder services."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint, Rate

from chalicelib.observability import logger
from chalicelib.services.container import services
from chalicelib.settings import reminder_queue_name

reminders = Blueprint(__name__)


@reminders.schedule(Rate(1, unit=Rate.MINUTES), name="reminder_sweep")
def reminder_sweep(event: Any) -> dict[str, int]:
    notices = services().sessions.deliver_owed()  # notices whose queueing failed with their change
    enqueued = services().reminder_sweep.run()
    return {"enqueued": enqueued, "notices": notices}


@reminders.on_sqs_message(queue=reminder_queue_name(), batch_size=10, name="reminder_worker")
def reminder_worker(event: Any) -> dict[str, list[dict[str, str]]]:
    """Handle a batch; report only the failed messages so SQS retries just those."""
    # Imported here: every function imports this module, and only the worker needs them.
    from chalicelib.notify.senders import ConfigurationSendError
    from chalicelib.services.reminder_jobs import Job, PoisonMessageError
    from chalicelib.store.reminders import ClaimHeldError

    worker = services().reminder_worker
    failures = []
    misconfigured = False
    for record in event:
        message_id = record.to_dict()["messageId"]
        if misconfigured:  # every send would fail alike: the rest of the batch waits, untouched
            failures.append({"itemIdentifier": message_id})
            continue
        logger().append_keys(message_id=message_id)
        try:
            outcome = worker.handle(Job.from_json(record.body))
            logger().info("reminder handled", extra={"outcome": outcome})
        except ConfigurationSendError:
            logger().error("sending stopped: the provider refuses Hearth's configuration")
            failures.append({"itemIdentifier": message_id})
            misconfigured = True
        except ClaimHeldError:  # another worker is sending it, or died doing so: back after the lease
            logger().info("reminder claimed elsewhere; retried later")
            failures.append({"itemIdentifier": message_id})
        except PoisonMessageError:
            logger().error("unreadable reminder message")
            failures.append({"itemIdentifier": message_id})
        except Exception:  # each message fails alone; SQS redelivers it, then dead-letters it
            logger().exception("reminder failed")
            failures.append({"itemIdentifier": message_id})
        finally:
            logger().remove_keys(["message_id"])
    return {"batchItemFailures": failures}
