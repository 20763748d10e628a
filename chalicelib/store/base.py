"""What every repository shares: binding, and turning PynamoDB failures into domain errors.

A failed condition means an invariant held (the thing exists, is full, changed):
the caller passes the domain error that describes it. Throttling and other
service failures become `DependencyError`, which callers may retry.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from pynamodb.exceptions import PynamoDBException, TransactWriteError

from chalicelib.errors import DependencyError, HearthError

CONDITION_FAILED = "ConditionalCheckFailedException"
TRANSACTION_CANCELLED = "TransactionCanceledException"
CONDITION_CODES = frozenset({CONDITION_FAILED, "ConditionalCheckFailed"})


def _condition_failed(exc: PynamoDBException) -> bool:
    if exc.cause_response_code == CONDITION_FAILED:
        return True
    if isinstance(exc, TransactWriteError) and exc.cause_response_code == TRANSACTION_CANCELLED:
        reasons = exc.cancellation_reasons or []
        # a cancelled transaction names the failed condition without the "Exception" suffix
        return any(reason is not None and reason.code in CONDITION_CODES for reason in reasons)
    return False


@contextmanager
def conditional(on_failed: Callable[[], HearthError]) -> Iterator[None]:
    """Run a conditional write; a failed condition raises `on_failed()`."""
    try:
        yield
    except PynamoDBException as exc:
        if _condition_failed(exc):
            raise on_failed() from exc
        raise DependencyError() from exc


@contextmanager
def dependency() -> Iterator[None]:
    """Run a read or unconditional write; service failures become `DependencyError`."""
    try:
        yield
    except PynamoDBException as exc:
        raise DependencyError() from exc
