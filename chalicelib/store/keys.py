"""Every partition, sort and index key format in Hearth, built in one place.

Nothing outside this module concatenates key strings. Each builder returns the
attributes to set on an item, so callers never need to know the layout.
"""

from __future__ import annotations

import zlib
from typing import NamedTuple


class Key(NamedTuple):
    pk: str
    sk: str


def facilitator(facilitator_id: str) -> Key:
    return Key(f"FAC#{facilitator_id}", "FAC")


def token(token_hash: str) -> Key:
    """A credential, addressed by the SHA-256 of the bearer token (never the token)."""
    return Key(f"TOKEN#{token_hash}", "TOKEN")


def counter(scope: str, subject: str, window: int) -> Key:
    """A fixed-window counter: `scope` names the limit, `subject` what is counted."""
    return Key(f"LIMIT#{scope}#{subject}", f"WINDOW#{window}")


def group(group_id: str) -> Key:
    return Key(f"GROUP#{group_id}", "GROUP")


def member(group_id: str, member_id: str) -> Key:
    return Key(f"GROUP#{group_id}", f"GROUP#MEMBER#{member_id}")


def staff(group_id: str, facilitator_id: str) -> Key:
    return Key(f"GROUP#{group_id}", f"GROUP#STAFF#{facilitator_id}")


# The group item, its staff and its members all sort under this prefix: one Query reads them.
ROSTER_PREFIX = "GROUP"


def invite(code: str) -> Key:
    return Key(f"INVITE#{code}", "INVITE")


def feed(token_hash: str) -> Key:
    """A member's private calendar feed, addressed by the SHA-256 of its secret."""
    return Key(f"FEED#{token_hash}", "FEED")


# --- secondary index keys --------------------------------------------------------------

LISTED = "LISTED"


def listed_topic(topic: str) -> str:
    return f"LISTED#TOPIC#{topic}"


def group_sort(name_key: str, group_id: str) -> str:
    return f"{name_key}#{group_id}"


def group_invites(group_id: str) -> str:
    return f"INVITES#{group_id}"


def facilitator_groups(facilitator_id: str) -> str:
    return f"FACGROUPS#{facilitator_id}"


def phone_index(phone_hash: str) -> str:
    return f"PHONE#{phone_hash}"


def phone_membership(phone_hash: str, group_id: str) -> Key:
    """The one membership a phone (by keyed hash) may hold in a group: written with the membership."""
    return Key(f"PHONE#{phone_hash}", f"MEMBERSHIP#{group_id}")


def email_index(email_hash: str) -> str:
    """`gsi1` partition of every membership with one email address (SES feedback finds them)."""
    return f"EMAIL#{email_hash}"


def membership_ref(group_id: str, member_id: str) -> str:
    return f"{group_id}#{member_id}"


# --- sessions --------------------------------------------------------------------------

START_SHARDS = 4  # one busy start hour spreads over this many index partitions


def series(series_id: str) -> Key:
    return Key(f"SERIES#{series_id}", "SERIES")


def occurrence(series_id: str, original_start_compact: str) -> Key:
    """One session of a series, by its original start (`YYYYMMDDTHHMMZ`)."""
    return Key(f"SERIES#{series_id}", f"OCC#{original_start_compact}")


ACTIVE_SERIES = "ACTIVESERIES"  # gsi2 partition of series the daily job keeps materialising


OWED_NOTICES = "OWEDNOTICES"  # gsi1 partition of sessions holding notices not yet queued


def group_series(group_id: str) -> str:
    return f"GROUPSERIES#{group_id}"


def group_occurrences(group_id: str) -> str:
    return f"GROUPOCC#{group_id}"


def occurrence_sort(original_start_iso: str, series_id: str) -> str:
    return f"{original_start_iso}#{series_id}"


def start_minute(minute_iso: str, shard: int) -> str:
    """Partition of the `by_start` index for a start minute (`YYYY-MM-DDTHH:MM`): its UTC hour and
    a shard. One Query reads any span of minutes within an hour (see `start_sort`)."""
    return f"START#{minute_iso[:13]}#{shard}"


def start_sort(minute_iso: str, session_id: str) -> str:
    """Sort key of the `by_start` index: the start minute first, so a range of minutes is a range."""
    return f"{minute_iso}#{session_id}"


def start_range(first_minute_iso: str, last_minute_iso: str) -> tuple[str, str]:
    """Sort-key bounds of the sessions starting in the minutes [first, last], both inclusive."""
    return first_minute_iso, f"{last_minute_iso}#~"


def start_shard(session_id: str) -> int:
    return zlib.crc32(session_id.encode("ascii")) % START_SHARDS


# --- reminders -------------------------------------------------------------------------

REMINDER_STATE = Key("REMINDERS", "STATE")  # the sweep watermark and the lead times in use


def member_ledger(member_id: str) -> str:
    """The partition holding every ledger item of one member (erasure reads it whole)."""
    return f"LEDGER#{member_id}"


def reminder_plan(session_id: str, channel: str, what: str) -> Key:
    """Who the sweep planned one session's reminder for ahead of its due time (per channel and
    lead@start): its own partition per session, so a burst's plans spread over keys."""
    return Key(f"PLAN#{session_id}", f"{channel}#{what}")


def ledger(member_id: str, subject: str, channel: str, what: str) -> Key:
    """One message to one member about one session (or series), per channel and reason."""
    return Key(member_ledger(member_id), f"{subject}#{channel}#{what}")


# --- sending pace ----------------------------------------------------------------------


def pace(channel: str, second: int) -> Key:
    """Message parts booked on `channel` in one UTC second: each second is its own partition, so the
    shared pace has no hot key (a second is written only while it is being booked)."""
    return Key(f"PACE#{channel}#{second}", "PACE")


# --- two-way SMS -----------------------------------------------------------------------


def inbound_sms(message_id: str) -> Key:
    """An inbound SMS already handled (deliveries repeat)."""
    return Key(f"INBOUND#{message_id}", "INBOUND")


def opt_out(phone_hash: str) -> Key:
    """A number's global opt-out state, by keyed hash; kept after its members erase their data."""
    return Key(f"OPTOUT#{phone_hash}", "OPTOUT")


def email_suppression(email_hash: str) -> Key:
    """An address SES reported as hard-bounced or complained about, by keyed hash: never emailed."""
    return Key(f"EMAILSTOP#{email_hash}", "EMAILSTOP")


def login(token_hash: str) -> Key:
    """A one-time sign-in link sent by SMS, by the SHA-256 of its secret."""
    return Key(f"LOGIN#{token_hash}", "LOGIN")


# --- room ------------------------------------------------------------------------------
# A group's room is its own partition (never under GROUP#, whose "GROUP" sort prefix is the
# roster Query): messages, reports, alerts, the audit trail and the live-connection registry.

MESSAGE_PREFIX = "MSG#"
ALERT_PREFIX = "ALERT#"
AUDIT_PREFIX = "AUDIT#"


def room(group_id: str) -> str:
    return f"ROOM#{group_id}"


def message(group_id: str, seq: str) -> Key:
    """A room message by its time-sortable sequence (`domain.room.new_seq`)."""
    return Key(room(group_id), f"{MESSAGE_PREFIX}{seq}")


def messages_since(floor: str) -> tuple[str, str]:
    """Sort-key bounds of the messages written at or after the sequence bound `floor`."""
    return f"{MESSAGE_PREFIX}{floor}", f"{MESSAGE_PREFIX}~"


def report(group_id: str, seq: str, reporter_id: str) -> Key:
    """One member's report of one message: at most one, by construction."""
    return Key(room(group_id), f"REPORT#{seq}#{reporter_id}")


def alert(group_id: str, seq: str) -> Key:
    return Key(room(group_id), f"{ALERT_PREFIX}{seq}")


def audit(group_id: str, seq: str) -> Key:
    return Key(room(group_id), f"{AUDIT_PREFIX}{seq}")


def live_room(group_id: str) -> Key:
    """The group's open WebSocket connections, in one item: read with the poster's membership."""
    return Key(room(group_id), "LIVE")


def live_connection(connection_id: str) -> Key:
    """Which group a WebSocket connection belongs to ($disconnect names only the connection)."""
    return Key(f"LIVE#{connection_id}", "LIVE")


def message_author(group_id: str, author_id: str) -> str:
    """`gsi1` partition of one author's messages in a group (erasure finds them with one Query)."""
    return f"AUTHOR#{group_id}#{author_id}"
