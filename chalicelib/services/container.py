"""Builds each service once per process, wired to the others (the composition root).

Each service is built, and its module imported, the first time something asks for it, so a cold
start pays only for what its first request reaches (`GET /v1/groups` never loads the sessions,
room, reminder or SMS code). Every service gets its collaborators when it is built; one it calls
only now and then (erasure's cleaners, the group view's next session) is handed over as a small
function that asks the container when it is called, so building one service never builds the rest.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime
from functools import cache, cached_property
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chalicelib.domain.identity import Caller
    from chalicelib.notify.queue import ReminderQueue
    from chalicelib.services.contact import ContactService
    from chalicelib.services.devices import DeviceService
    from chalicelib.services.email_feedback import EmailFeedback
    from chalicelib.services.facilitators import FacilitatorService
    from chalicelib.services.feeds import FeedService
    from chalicelib.services.groups import GroupService
    from chalicelib.services.inbound_sms import InboundSms
    from chalicelib.services.membership import MembershipService
    from chalicelib.services.occurrences import SessionNotices
    from chalicelib.services.reminder_sweep import ReminderSweep
    from chalicelib.services.reminder_worker import ReminderWorker
    from chalicelib.services.room import RoomService
    from chalicelib.services.room_live import RoomLive
    from chalicelib.services.room_moderation import RoomModeration
    from chalicelib.services.rsvps import RsvpService
    from chalicelib.services.series import SeriesService
    from chalicelib.services.sessions import NextSession, SessionService, UpcomingSessions
    from chalicelib.services.throttle import Admission

_building = threading.RLock()  # `chalice local` serves on threads; a builder reads other services


class _Service(cached_property):  # type: ignore[type-arg]
    """A `cached_property` whose first build holds the container's lock (one build per service)."""

    def __get__(self, instance: Any, owner: type | None = None) -> Any:
        if instance is None:
            return self
        with _building:
            return super().__get__(instance, owner)


class _NextSession:
    """The group view's next session, from the sessions code loaded when first asked; it reads
    the time from `clock`."""

    def __init__(self) -> None:
        self.clock: Callable[[], datetime] = lambda: datetime.now(UTC)

    def next_session(self, caller: Caller, group_id: str) -> NextSession | None:
        return self._upcoming.next_session(caller, group_id)

    @cached_property
    def _upcoming(self) -> UpcomingSessions:
        from chalicelib.services.sessions import UpcomingSessions

        return UpcomingSessions(clock=lambda: self.clock())


class Services:
    @_Service
    def groups(self) -> GroupService:
        from chalicelib.services.groups import GroupService

        return GroupService(upcoming=_NextSession())

    @_Service
    def reminder_queue(self) -> ReminderQueue:
        from chalicelib.notify.queue import ReminderQueue

        return ReminderQueue()

    @_Service
    def notices(self) -> SessionNotices:
        from chalicelib.services.notices import QueuedNotices

        return QueuedNotices(self.reminder_queue, labels=self.groups.session_label)

    @_Service
    def series(self) -> SeriesService:
        from chalicelib.services.series import SeriesService

        return SeriesService(groups=self.groups, notices=self.notices)

    @_Service
    def rsvps(self) -> RsvpService:
        from chalicelib.services.rsvps import RsvpService

        return RsvpService(notices=self.notices)

    @_Service
    def sessions(self) -> SessionService:
        from chalicelib.services.sessions import SessionService

        return SessionService(groups=self.groups, notices=self.notices)

    @_Service
    def live(self) -> RoomLive:
        from chalicelib.services.room_live import RoomLive

        return RoomLive(groups=self.groups)

    @_Service
    def room(self) -> RoomService:
        from chalicelib.services.room import RoomService

        return RoomService(groups=self.groups, live=self.live)

    @_Service
    def moderation(self) -> RoomModeration:
        from chalicelib.services.room_moderation import RoomModeration

        return RoomModeration(groups=self.groups, live=self.live)

    @_Service
    def reminder_worker(self) -> ReminderWorker:
        from chalicelib.services.reminder_worker import ReminderWorker

        return ReminderWorker(self.reminder_queue)

    @_Service
    def reminder_sweep(self) -> ReminderSweep:
        from chalicelib.services.reminder_sweep import ReminderSweep

        return ReminderSweep(self.reminder_queue)

    @_Service
    def membership(self) -> MembershipService:
        from chalicelib.services.membership import MembershipService

        return MembershipService(
            access=self.groups,
            erasers=[
                lambda member: self.rsvps.forget_member(member.group_id, member.member_id),
                lambda member: self.reminder_worker.ledger.forget_member(member.member_id),
                lambda member: self.moderation.forget_member(member),
            ],
            lead_times_used=lambda leads: self.reminder_sweep.state.use_leads(leads),
            releasers=[lambda member: self.rsvps.release_member(member.group_id, member.member_id)],
            # the room's audit trail and live connections
            on_removed=[lambda caller, member: self.moderation.member_removed(caller, member)],
        )

    @_Service
    def devices(self) -> DeviceService:
        from chalicelib.services.devices import DeviceService

        return DeviceService(self.membership)

    @_Service
    def facilitators(self) -> FacilitatorService:
        from chalicelib.services.facilitators import FacilitatorService

        return FacilitatorService()

    @_Service
    def contact(self) -> ContactService:
        from chalicelib.services.contact import ContactService

        return ContactService(membership=self.membership)

    @_Service
    def feeds(self) -> FeedService:
        from chalicelib.services.feeds import FeedService

        return FeedService(self.groups, self.sessions)

    @_Service
    def inbound_sms(self) -> InboundSms:
        from chalicelib.services.inbound_sms import InboundSms

        return InboundSms(membership=self.membership, devices=self.devices)

    @_Service
    def email_feedback(self) -> EmailFeedback:
        from chalicelib.services.email_feedback import EmailFeedback

        return EmailFeedback()

    @_Service
    def admission(self) -> Admission:
        from chalicelib.services.throttle import Admission

        return Admission(self.groups, self.membership)


@cache
def services() -> Services:
    return Services()
