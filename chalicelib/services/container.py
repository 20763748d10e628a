"""Builds each service once per process, wired to the others (the composition root)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from chalicelib.notify.queue import ReminderQueue
from chalicelib.services.contact import ContactService
from chalicelib.services.devices import DeviceService
from chalicelib.services.email_feedback import EmailFeedback
from chalicelib.services.facilitators import FacilitatorService
from chalicelib.services.feeds import FeedService
from chalicelib.services.groups import GroupService
from chalicelib.services.inbound_sms import InboundSms
from chalicelib.services.membership import MembershipService
from chalicelib.services.reminders import QueuedNotices, ReminderSweep, ReminderWorker
from chalicelib.services.room import RoomService
from chalicelib.services.room_live import RoomLive
from chalicelib.services.room_moderation import RoomModeration
from chalicelib.services.rsvps import RsvpService
from chalicelib.services.series import SeriesService
from chalicelib.services.sessions import SessionService, UpcomingSessions
from chalicelib.services.throttle import Admission


@dataclass(frozen=True)
class Services:
    facilitators: FacilitatorService
    groups: GroupService
    membership: MembershipService
    contact: ContactService
    devices: DeviceService
    series: SeriesService
    rsvps: RsvpService
    sessions: SessionService
    feeds: FeedService
    room: RoomService
    moderation: RoomModeration
    live: RoomLive
    reminder_sweep: ReminderSweep
    reminder_worker: ReminderWorker
    inbound_sms: InboundSms
    email_feedback: EmailFeedback
    admission: Admission


@cache
def services() -> Services:
    groups = GroupService(upcoming=UpcomingSessions())
    queue = ReminderQueue()
    notices = QueuedNotices(queue, labels=groups.session_label)
    series = SeriesService(groups=groups, notices=notices)
    rsvps = RsvpService(notices=notices)
    sessions = SessionService(groups=groups, notices=notices)
    live = RoomLive(groups=groups)
    room = RoomService(groups=groups, live=live)
    moderation = RoomModeration(groups=groups, live=live)
    worker = ReminderWorker(queue)
    sweep = ReminderSweep(queue)
    membership = MembershipService(
        access=groups,
        erasers=[
            lambda member: rsvps.forget_member(member.group_id, member.member_id),
            lambda member: worker.ledger.forget_member(member.member_id),
            moderation.forget_member,
        ],
        lead_times_used=sweep.state.use_leads,
        releasers=[lambda member: rsvps.release_member(member.group_id, member.member_id)],
        on_removed=[moderation.member_removed],  # the room's audit trail and live connections
    )
    devices = DeviceService(membership)
    return Services(
        facilitators=FacilitatorService(),
        groups=groups,
        membership=membership,
        contact=ContactService(membership=membership),
        devices=devices,
        series=series,
        rsvps=rsvps,
        sessions=sessions,
        feeds=FeedService(groups, sessions),
        room=room,
        moderation=moderation,
        live=live,
        reminder_sweep=sweep,
        reminder_worker=worker,
        inbound_sms=InboundSms(membership=membership, devices=devices),
        email_feedback=EmailFeedback(),
        admission=Admission(groups, membership),
    )
