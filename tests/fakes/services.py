"""The series, session and RSVP use cases built as the container builds them, over the in-memory
stores: one group run by `FACILITATOR`, a settable clock, and notices recorded."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from chalicelib.domain.identity import Caller, Role
from chalicelib.services.groups import GroupService
from chalicelib.services.rsvps import RsvpService
from chalicelib.services.series import SeriesService
from chalicelib.services.sessions import SessionService, UpcomingSessions
from tests.fakes.groups import InMemoryGroupRepository, RecordedNotices
from tests.fakes.sessions import InMemorySeriesRepository, InMemorySessionRepository

GROUP = "grp_here"
FACILITATOR = Caller(Role.FACILITATOR, subject_id="fac_here")


def member(member_id: str, group_id: str = GROUP) -> Caller:
    return Caller(Role.MEMBER, subject_id=member_id, group_id=group_id)


@dataclass
class Clock:
    now: datetime = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Scheduling:
    clock: Clock = field(default_factory=Clock)
    group_store: InMemoryGroupRepository = field(default_factory=InMemoryGroupRepository)
    series_store: InMemorySeriesRepository = field(default_factory=InMemorySeriesRepository)
    session_store: InMemorySessionRepository = field(default_factory=InMemorySessionRepository)
    notices: RecordedNotices = field(default_factory=RecordedNotices)

    def __post_init__(self) -> None:
        self.group_store.add(GROUP, facilitator_ids={str(FACILITATOR.subject_id)})
        self.groups = GroupService(groups=self.group_store)  # type: ignore[arg-type]
        stores = {"series": self.series_store, "sessions": self.session_store, "notices": self.notices}
        self.series = SeriesService(groups=self.groups, clock=self.clock, **stores)  # type: ignore[arg-type]
        self.sessions = SessionService(groups=self.groups, clock=self.clock, **stores)  # type: ignore[arg-type]
        self.rsvps = RsvpService(clock=self.clock, **stores)  # type: ignore[arg-type]
        self.upcoming = UpcomingSessions(self.session_store, clock=self.clock)  # type: ignore[arg-type]

    def weekly(self, *, capacity: int | None = 5, start_local: str = "2026-12-01T19:00", **fields: object):
        """A weekly series (Tuesdays 19:00 in New York from Dec 1 by default), as the API creates it."""
        values: dict[str, object] = {
            "title": "Group session",
            "start_local": start_local,
            "timezone": "America/New_York",
            "duration_minutes": 60,
            "rrule": "FREQ=WEEKLY",
            "capacity": capacity,
            "conference_url": "https://meet.example.org/tuesday",
            **fields,
        }
        return self.series.create_series(FACILITATOR, GROUP, **values)  # type: ignore[arg-type]
