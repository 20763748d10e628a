"""Builds each service once per process, wired to the others (the composition root).

Each service is built, and its module imported, the first time something asks for it: a cold
start pays only for what its first request reaches (`GET /v1/groups` never loads the sessions,
room, reminder or SMS code). Collaborators that a service calls only later are handed over as
small functions that ask the container when called, so building one never builds the rest.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

if TYPE_CHECKING:
    from chalicelib.services.contact import ContactService
    from chalicelib.services.email_feedback import EmailFeedback
    from chalicelib.services.facilitators import FacilitatorService
    from chalicelib.services.feeds import FeedService
    from chalicelib.services.groups import GroupService
    from chalicelib.services.inbound_sms import InboundSms
    from chalicelib.services.membership import MembershipService
    from chalicelib.services.reminders import ReminderQueue, ReminderSweep, ReminderWorker
    from chalicelib.services.room import RoomService
    from chalicelib.services.sessions import SessionService
    from chalicelib.services.throttle import Admission

T = TypeVar("T")


class _Built(Generic[T]):
    """A service built on first read and kept; one builder runs at a time (threads share it)."""

    def __init__(self, build: Callable[[Services], T]) -> None:
        self.build = build
        self.name = build.__name__

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, hub: None, owner: type) -> _Built[T]: ...
    @overload
    def __get__(self, hub: Services, owner: type) -> T: ...
    def __get__(self, hub: Services | None, owner: type) -> Any:
        if hub is None:
            return self
        built = hub.__dict__.get(self.name)
        if built is None:
            with hub._lock:
                built = hub.__dict__.get(self.name)
                if built is None:
                    built = hub.__dict__[self.name] = self.build(hub)
        return built


class Services:
    _lock = threading.RLock()  # a builder reads other services: reentrant

    @_Built
    def groups(self) -> GroupService:
        from chalicelib.services.groups import GroupService

        groups = GroupService()
        groups.upcoming = lambda caller, group_id: self.sessions.next_session(caller, group_id)
        return groups

    @_Built
    def reminder_queue(self) -> ReminderQueue:
        from chalicelib.services.reminders import ReminderQueue

        return ReminderQueue()

    @_Built
    def sessions(self) -> SessionService:
        from chalicelib.services.reminders import QueuedNotices
        from chalicelib.services.sessions import SessionService

        groups = self.groups
        notices = QueuedNotices(self.reminder_queue, labels=groups.session_label)
        return SessionService(groups=groups, notices=notices)

    @_Built
    def room(self) -> RoomService:
        from chalicelib.services.room import RoomService

        return RoomService(groups=self.groups)

    @_Built
    def reminder_worker(self) -> ReminderWorker:
        from chalicelib.services.reminders import ReminderWorker

        return ReminderWorker(self.reminder_queue)

    @_Built
    def reminder_sweep(self) -> ReminderSweep:
        from chalicelib.services.reminders import ReminderSweep

        return ReminderSweep(self.reminder_queue)

    @_Built
    def membership(self) -> MembershipService:
        from chalicelib.services.membership import MembershipService

        return MembershipService(
            access=self.groups,
            erasers=[
                lambda member: self.sessions.forget_member(member.group_id, member.member_id),
                lambda member: self.reminder_worker.ledger.forget_member(member.member_id),
                lambda member: self.room.forget_member(member),
            ],
            lead_times_used=lambda leads: self.reminder_sweep.state.use_leads(leads),
            releasers=[lambda member: self.sessions.release_member(member.group_id, member.member_id)],
            # the room's audit trail and live connections
            on_removed=[lambda caller, member: self.room.member_removed(caller, member)],
        )

    @_Built
    def facilitators(self) -> FacilitatorService:
        from chalicelib.services.facilitators import FacilitatorService

        return FacilitatorService()

    @_Built
    def contact(self) -> ContactService:
        from chalicelib.services.contact import ContactService

        return ContactService(membership=self.membership)

    @_Built
    def feeds(self) -> FeedService:
        from chalicelib.services.feeds import FeedService

        return FeedService(self.groups, self.sessions)

    @_Built
    def inbound_sms(self) -> InboundSms:
        from chalicelib.services.inbound_sms import InboundSms

        return InboundSms(membership=self.membership)

    @_Built
    def email_feedback(self) -> EmailFeedback:
        from chalicelib.services.email_feedback import EmailFeedback

        return EmailFeedback()

    @_Built
    def admission(self) -> Admission:
        from chalicelib.services.throttle import Admission

        return Admission(self.groups, self.membership)


@cache
def services() -> Services:
    return Services()
