"""Builds each service once per process, wired to the others (the composition root)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from chalicelib.services.contact import ContactService
from chalicelib.services.email_feedback import EmailFeedback
from chalicelib.services.facilitators import FacilitatorService
from chalicelib.services.feeds import FeedService
from chalicelib.services.groups import GroupService
from chalicelib.services.inbound_sms import InboundSms
from chalicelib.services.membership import MembershipService
from chalicelib.services.reminders import QueuedNotices, ReminderQueue, ReminderSweep, ReminderWorker
from chalicelib.services.room import RoomService
from chalicelib.services.sessions import SessionService
from chalicelib.services.throttle import Admission


@dataclass(frozen=True)
class Services:
    facilitators: FacilitatorService
    groups: GroupService
    membership: MembershipService
    contact: ContactService
    sessions: SessionService
    feeds: FeedService
    room: RoomService
    reminder_sweep: ReminderSweep
    reminder_worker: ReminderWorker
    inbound_sms: InboundSms
    email_feedback: EmailFeedback
    admission: Admission


@cache
def services() -> Services:
    groups = GroupService()
    queue = ReminderQueue()
    notices = QueuedNotices(queue, labels=groups.session_label)
    sessions = SessionService(groups=groups, notices=notices)
    groups.upcoming = sessions.next_session
    room = RoomService(groups=groups)
    worker = ReminderWorker(queue)
    sweep = ReminderSweep(queue)
    membership = MembershipService(
        access=groups,
        erasers=[
            lambda member: sessions.forget_member(member.group_id, member.member_id),
            lambda member: worker.ledger.forget_member(member.member_id),
            room.forget_member,
        ],
        lead_times_used=sweep.state.use_leads,
        releasers=[lambda member: sessions.release_member(member.group_id, member.member_id)],
        on_removed=[room.member_removed],  # the room's audit trail and live connections
    )
    return Services(
        facilitators=FacilitatorService(),
        groups=groups,
        membership=membership,
        contact=ContactService(membership=membership),
        sessions=sessions,
        feeds=FeedService(groups, sessions),
        room=room,
        reminder_sweep=sweep,
        reminder_worker=worker,
        inbound_sms=InboundSms(membership=membership),
        email_feedback=EmailFeedback(),
        admission=Admission(groups, membership),
    )
