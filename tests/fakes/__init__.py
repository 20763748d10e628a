"""In-memory stand-ins for repositories and collaborators (no sockets, no moto).

They keep the items the DynamoDB repositories keep and answer the same intents; the contract
tests in `tests/contracts/` hold each fake and its repository to one behaviour.
"""

from tests.fakes.groups import InMemoryGroupRepository, RecordedNotices
from tests.fakes.sessions import InMemorySeriesRepository, InMemorySessionRepository

__all__ = [
    "InMemoryGroupRepository",
    "InMemorySeriesRepository",
    "InMemorySessionRepository",
    "RecordedNotices",
]
