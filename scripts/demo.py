"""Demo data for `make run`: a facilitator and a listed, open group with a weekly session."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from chalicelib.domain.identity import Caller, Role
from chalicelib.services.container import services


@dataclass(frozen=True)
class Demo:
    facilitator_token: str
    group_id: str
    join_url: str
    sms_text: str


def seed() -> Demo:
    hub = services()
    facilitator = hub.facilitators.create("Demo Facilitator", None)
    caller = Caller(Role.FACILITATOR, subject_id=facilitator.facilitator_id)
    group = hub.groups.create(
        caller,
        name="Evening Calm",
        topic="anxiety",
        description="A gentle, peer-led space to talk about anxiety. Be kind; share what you wish.",
        timezone="America/New_York",
        access="open",
        listed=True,
        max_members=50,
        session_label=None,
    )
    assert group.invite is not None
    today = datetime.now(ZoneInfo("America/New_York")).date()
    next_tuesday = today + timedelta(days=(1 - today.weekday()) % 7 or 7)
    hub.series.create_series(
        caller,
        group.group_id,
        title="Evening check-in",
        start_local=f"{next_tuesday.isoformat()}T19:00",
        timezone="America/New_York",
        duration_minutes=60,
        rrule="FREQ=WEEKLY;BYDAY=TU",
        capacity=12,
        conference_url="https://meet.example.org/evening-calm",
    )
    return Demo(facilitator.token, group.group_id, group.invite.url, group.invite.sms_text)
