"""Notices of a change (cancelled, moved, promoted, series ended), owed with the change and
queued to the reminder worker."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from chalicelib.domain import templates
from chalicelib.notify.queue import ReminderQueue
from chalicelib.observability import count
from chalicelib.services.reminder_jobs import Job, iso
from chalicelib.store.sessions import SeriesItem, SessionItem


class QueuedNotices:
    """Tells members what changed, through the reminder queue.

    Notices are first owed (bodies written with the change they describe), then queued
    with `deliver`; the worker re-checks each when it is sent.
    """

    def __init__(self, queue: ReminderQueue, labels: Callable[[str], str]) -> None:
        self.queue = queue
        self.labels = labels

    def _bodies(
        self,
        kind: str,
        session: SessionItem,
        member_ids: Iterable[str],
        *,
        start: datetime | None = None,
        new_start: datetime | None = None,
    ) -> list[str]:
        members = sorted(member_ids)
        if not members:
            return []
        label = self.labels(session.group_id)
        return [
            Job(
                kind=kind,
                member_id=member_id,
                group_id=session.group_id,
                subject=session.session_id,
                start=iso(start or session.start),
                label=label,
                new_start=None if new_start is None else iso(new_start),
                sequence=int(session.sequence or 0),
            ).to_json()
            for member_id in members
        ]

    def cancelled(self, session: SessionItem, member_ids: set[str]) -> list[str]:
        return self._bodies(templates.CANCELLED, session, member_ids)

    def moved(self, session: SessionItem, member_ids: set[str]) -> list[str]:
        return self._bodies(
            templates.MOVED, session, member_ids, start=session.original_start, new_start=session.start
        )

    def promoted(self, session: SessionItem, member_ids: set[str]) -> list[str]:
        return self._bodies(templates.PROMOTED, session, member_ids)

    def series_ended(self, series: SeriesItem, member_ids: set[str], at: datetime) -> list[str]:
        label = self.labels(series.group_id)
        return [
            Job(
                kind=templates.SERIES_ENDED,
                member_id=member_id,
                group_id=series.group_id,
                subject=series.series_id,
                start=iso(at),
                label=label,
                sequence=int(series.sequence or 0),
            ).to_json()
            for member_id in sorted(member_ids)
        ]

    @staticmethod
    def is_for(body: str, member_id: str) -> bool:
        """Whether an owed notice is a promotion of `member_id` (withdrawn when they leave)."""
        job = Job.from_json(body)
        return job.kind == templates.PROMOTED and job.member_id == member_id

    def deliver(self, bodies: list[str]) -> None:
        """Queue owed notices; `DependencyError` if the queue refuses (they stay owed)."""
        jobs = [Job.from_json(body) for body in bodies]
        self.queue.send(jobs)
        for kind in sorted({job.kind for job in jobs}):
            count("notices_enqueued", sum(1 for job in jobs if job.kind == kind), kind=kind)
