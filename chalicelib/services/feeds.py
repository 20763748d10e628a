"""Calendars and the public meeting list, built from series and their stored exceptions.

Every feed is discreet: events are titled with the group's neutral session
label, never its name or topic, and no feed carries a conference link (members
get that from the join endpoint, only while a session is open).

The meeting list (Code for Recovery's Meeting Guide format, read by the Meeting Guide app and by
tsml-ui meeting finders) lists what an open, listed group really holds in the coming weeks: one
entry per weekday, at the time of that weekday's next session, with a slug that stays the same
when the series is edited or split. Its online link is Hearth's join page for the group.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from chalicelib.domain import recurrence
from chalicelib.domain.identity import Caller, hash_token
from chalicelib.errors import NotFoundError
from chalicelib.services.groups import ACCESS_OPEN, GroupService
from chalicelib.services.sessions import Clock, SessionService, utcnow
from chalicelib.settings import get_settings
from chalicelib.store.groups import GroupItem
from chalicelib.store.members import ACTIVE, MemberRepository
from chalicelib.store.sessions import CANCELLED, SCHEDULED, SeriesItem, SessionItem

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
ONLINE = "Online"
# Meeting Guide is for weekly meetings; a listing shows what meets within this window from now.
LISTING_WINDOW = timedelta(days=14)
NAME_LIMIT = 64  # Meeting Guide's app cuts longer names
WEEKDAY_NAMES = ("sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday")
# Meeting types from the spec's data/types.json: an open group takes anyone who wants to come.
OPEN_TYPES = ("O",)


def _tab(name: str) -> list[list[str]]:
    text = resources.files("tzdata.zoneinfo").joinpath(name).read_text(encoding="utf-8")
    return [line.split("\t") for line in text.splitlines() if line and not line.startswith("#")]


@cache
def _zone_countries() -> dict[str, str]:
    """Zone name → country name, from tzdata's own zone.tab and iso3166.tab."""
    countries = {row[0]: row[1] for row in _tab("iso3166.tab")}
    return {row[2]: countries[row[0]] for row in _tab("zone.tab") if row[0] in countries}


def approximate_place(timezone: str) -> str:
    """A place that implies the zone: "Casablanca, Morocco"; "Online" for zones of no place."""
    if timezone in _APPROXIMATE_PLACE:
        return _APPROXIMATE_PLACE[timezone]
    country = _zone_countries().get(timezone)
    if country is None:
        return ONLINE
    city = timezone.rsplit("/", 1)[-1].replace("_", " ")
    return city if city == country else f"{city}, {country}"


def listing_name(name: str) -> str:
    """The name, cut at a word boundary with an ellipsis when it is longer than NAME_LIMIT."""
    name = " ".join(name.split())
    if len(name) <= NAME_LIMIT:
        return name
    cut = name[: NAME_LIMIT - 1]
    if not name[NAME_LIMIT - 1].isspace() and " " in cut:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:-–—") + "…"


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
            calendar_name=group.session_label[:1].upper() + group.session_label[1:],
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
        """Meeting Guide entries: one per weekday on which an open listed group meets soon.

        Each weekday of each series chain (a series and the ones split from it) is listed at the
        time of its next scheduled session within LISTING_WINDOW, so a series that starts months
        from now is not listed yet, and after a "this and following" change the listing shows the
        old time until the last session at that time has happened. Only weekly rules (every day or
        every week) are listed: Meeting Guide is for weekly meetings.
        """
        now = self.clock()
        base = get_settings().public_base_url
        entries: list[dict[str, Any]] = []
        for group in self.groups.groups.listed(None):
            if group.access != ACCESS_OPEN or not group.standing_code:
                continue  # no one can join from a directory without an invite
            entries.extend(self._group_meetings(group, now, base))
        return sorted(entries, key=lambda entry: entry["slug"])

    def _group_meetings(self, group: GroupItem, now: datetime, base: str) -> list[dict[str, Any]]:
        chains: dict[str, list[SeriesItem]] = {}
        for series in self.sessions.series.for_group(group.group_id):
            chains.setdefault(series.lineage or series.series_id, []).append(series)
        weekly = {
            series.series_id
            for members in chains.values()
            for series in members
            if _is_weekly(recurrence.parse_rrule(series.rrule))
        }
        next_by_day: dict[tuple[str, int], Any] = {}
        for occurrence in self.sessions.occurrences(group.group_id, now, now + LISTING_WINDOW):
            series = occurrence.series
            if series.series_id not in weekly or occurrence.status != SCHEDULED:
                continue
            if occurrence.item is not None and occurrence.item.moved:
                continue  # a one-off move says nothing about the weekly meeting
            local = recurrence.utc_to_local(occurrence.start, series.timezone)
            key = (series.lineage or series.series_id, (local.weekday() + 1) % 7)
            if key not in next_by_day:  # occurrences come in order: the first is the next one
                next_by_day[key] = occurrence
        join = f"{base}/j/{group.standing_code}"
        entries = []
        for (chain, day), occurrence in next_by_day.items():
            series = occurrence.series
            start = recurrence.utc_to_local(occurrence.start, series.timezone)
            end = recurrence.utc_to_local(
                occurrence.start + timedelta(minutes=occurrence.duration), series.timezone
            )
            entry: dict[str, Any] = {
                "name": listing_name(group.name),
                "slug": f"{chain.removeprefix('ser_')}-{WEEKDAY_NAMES[day]}",
                "day": day,
                "time": start.strftime("%H:%M"),
                "end_time": end.strftime("%H:%M"),
                "timezone": series.timezone,
                "types": list(OPEN_TYPES),
                "notes": group.description,
                "conference_url": join,
                "url": join,
                "formatted_address": approximate_place(series.timezone),
                "approximate": "yes",
                "regions": [ONLINE],
            }
            updated = _last_change(chains[chain])
            if updated is not None:
                entry["updated"] = updated.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
            entries.append(entry)
        return entries


def _is_weekly(rule: recurrence.Rule) -> bool:
    """Whether the rule meets every week on fixed weekdays (what Meeting Guide can list)."""
    if rule.interval != 1 or rule.by_month_day or rule.by_set_pos:
        return False
    return rule.freq == "DAILY" or (rule.freq == "WEEKLY" and all(n == 0 for n, _ in rule.by_day))


def _last_change(chain: list[SeriesItem]) -> datetime | None:
    stamps = [stamp for series in chain if (stamp := series.updated_at or series.created_at)]
    return max(stamps, default=None)
