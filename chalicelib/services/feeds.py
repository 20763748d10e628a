"""Calendars and the public meeting list, built from series and their stored exceptions.

Every feed is discreet: events are titled with the group's neutral session
label, never its name or topic, and no feed carries a conference link (members
get that from the join endpoint, only while a session is open).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from chalicelib.domain import recurrence
from chalicelib.domain.identity import Caller, hash_token
from chalicelib.errors import NotFoundError
from chalicelib.services.groups import ACCESS_OPEN, GroupService
from chalicelib.services.sessions import Clock, SessionService, utcnow
from chalicelib.settings import get_settings
from chalicelib.store.groups import GroupItem
from chalicelib.store.members import ACTIVE, MemberRepository
from chalicelib.store.sessions import CANCELLED, SeriesItem, SessionItem

if TYPE_CHECKING:
    from chalicelib.domain import calendar as ics

EXCEPTIONS_SINCE = timedelta(days=180)  # older changes no longer matter to a calendar

# Online groups list an approximate origin that implies their time zone (Meeting Guide asks for one).
_APPROXIMATE_PLACE = {
    "America/New_York": "New York, NY, USA",
    "America/Detroit": "Detroit, MI, USA",
    "America/Indiana/Indianapolis": "Indianapolis, IN, USA",
    "America/Chicago": "Chicago, IL, USA",
    "America/Denver": "Denver, CO, USA",
    "America/Phoenix": "Phoenix, AZ, USA",
    "America/Los_Angeles": "Los Angeles, CA, USA",
    "America/Anchorage": "Anchorage, AK, USA",
    "Pacific/Honolulu": "Honolulu, HI, USA",
    "America/Toronto": "Toronto, ON, Canada",
    "America/Vancouver": "Vancouver, BC, Canada",
    "America/Edmonton": "Edmonton, AB, Canada",
    "America/Winnipeg": "Winnipeg, MB, Canada",
    "America/Halifax": "Halifax, NS, Canada",
    "America/St_Johns": "St. John's, NL, Canada",
    "Europe/London": "London, UK",
}


def approximate_place(timezone: str) -> str:
    return _APPROXIMATE_PLACE.get(timezone) or timezone.rsplit("/", 1)[-1].replace("_", " ")


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-") or "group"


@dataclass(frozen=True)
class Feed:
    body: str
    filename: str


class FeedService:
    def __init__(
        self,
        groups: GroupService,
        sessions: SessionService,
        members: MemberRepository | None = None,
        clock: Clock = utcnow,
    ) -> None:
        self.groups = groups
        self.sessions = sessions
        self.members = members or MemberRepository()
        self.clock = clock

    def _calendar(self, group: GroupItem, *, url: str | None) -> Feed:
        from chalicelib.domain import calendar as ics  # icalendar is heavy; only feeds need it

        now = self.clock()
        entries = []
        for series in self.sessions.series.for_group(group.group_id):
            first = recurrence.first_occurrence(
                recurrence.parse_start_local(series.start_local), series.timezone, series.rrule
            )
            if first is None or (series.ended_at is not None and first.original_start >= series.ended_at):
                continue  # ended before it ever met
            stored = self.sessions.sessions.in_series(series.series_id, now - EXCEPTIONS_SINCE)
            entries.append(self._calendar_series(series, stored, url))
        body = ics.render_calendar(
            entries,
            summary=group.session_label,
            calendar_name=group.session_label.capitalize(),
            include_links=url is not None,
            now=now,
        )
        return Feed(body.decode("utf-8"), "sessions.ics")

    def _calendar_series(
        self, series: SeriesItem, stored: list[SessionItem], url: str | None
    ) -> ics.CalendarSeries:
        from chalicelib.domain import calendar as ics

        start = recurrence.parse_start_local(series.start_local)
        exceptions = []
        for item in stored:
            if not SessionService.is_occurrence(series, item.original_start):
                continue  # left behind when the series was reshaped; not part of its rule
            if item.status == CANCELLED:
                exceptions.append(
                    ics.CalendarException(
                        item.original_start, ics.CANCELLED, sequence=int(item.sequence or 1)
                    )
                )
            elif item.moved:
                exceptions.append(
                    ics.CalendarException(
                        item.original_start,
                        ics.MOVED,
                        start=item.start,
                        duration_minutes=int(item.duration_minutes or series.duration_minutes),
                        sequence=int(item.sequence or 1),
                    )
                )
        cancellations = sum(1 for exception in exceptions if exception.status == ics.CANCELLED)
        return ics.CalendarSeries(
            series_id=series.series_id,
            start_local=start,
            timezone=series.timezone,
            duration_minutes=int(series.duration_minutes),
            rrule=series.rrule,
            sequence=int(series.sequence or 0) + cancellations,
            exceptions=tuple(exceptions),
            url=url,
        )

    def group_calendar(self, caller: Caller, group_id: str) -> Feed:
        return self._calendar(self.groups.visible(caller, group_id), url=None)

    def member_calendar(self, feed_token: str) -> Feed:
        feed = self.members.feed(hash_token(feed_token))
        member = None if feed is None else self.members.get(feed.group_id, feed.member_id)
        if member is None or member.status != ACTIVE or member.feed_hash != hash_token(feed_token):
            raise NotFoundError("No such calendar.")
        group = self.groups.groups.get(member.group_id)
        if group is None:
            raise NotFoundError("No such calendar.")
        return self._calendar(group, url=f"{get_settings().public_base_url}/g/{group.group_id}")

    def meetings(self) -> list[dict[str, Any]]:
        """Code for Recovery Meeting Guide entries for listed groups' weekly series."""
        base = get_settings().public_base_url
        entries: list[dict[str, Any]] = []
        for group in self.groups.groups.listed(None):
            for series in self.sessions.series.for_group(group.group_id):
                entry = self._meeting(group, series, base)
                if entry is not None:
                    entries.append(entry)
        return entries

    def _meeting(self, group: GroupItem, series: SeriesItem, base: str) -> dict[str, Any] | None:
        rule = recurrence.parse_rrule(series.rrule)
        if series.status != "active" or rule.freq != "WEEKLY" or rule.interval != 1 or rule.is_bounded:
            return None
        start = recurrence.parse_start_local(series.start_local)
        weekdays = [day for _ordinal, day in rule.by_day] or [
            ["MO", "TU", "WE", "TH", "FR", "SA", "SU"][start.weekday()]
        ]
        days = sorted({["SU", "MO", "TU", "WE", "TH", "FR", "SA"].index(day) for day in weekdays})
        end = start + timedelta(minutes=int(series.duration_minutes))
        join = (
            f"{base}/j/{group.standing_code}"
            if group.access == ACCESS_OPEN and group.standing_code
            else f"{base}/"
        )
        slug = f"{slugify(group.name)[:40].strip('-')}-{series.series_id.removeprefix('ser_')[:10]}"
        updated = series.created_at.strftime("%Y-%m-%d %H:%M:%S") if series.created_at else None
        entry: dict[str, Any] = {
            "name": group.name[:64],
            "slug": slug[:64],
            "day": days[0] if len(days) == 1 else days,
            "time": start.strftime("%H:%M"),
            "end_time": end.strftime("%H:%M"),
            "timezone": series.timezone,
            "types": ["ONL"],
            "notes": group.description,
            "url": join,
            "formatted_address": approximate_place(series.timezone),
            "approximate": "yes",
            "regions": ["Online"],
        }
        if updated:
            entry["updated"] = updated
        return entry
