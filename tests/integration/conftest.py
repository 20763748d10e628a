"""Integration fixtures: moto in-process and the Chalice test client."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from chalice.test import Client
from moto import mock_aws

from tests.conftest import TEST_ADMIN_TOKEN


@pytest.fixture
def emulated_aws() -> Iterator[None]:
    """Emulated AWS with the table and every queue and topic the app's handlers use."""
    import boto3

    import app as app_module
    from chalicelib.store.tables import create_table
    from scripts.local_runner import LocalRunner

    with mock_aws():
        create_table()
        LocalRunner(app_module, sqs=boto3.client("sqs"), sns=boto3.client("sns")).provision()
        yield


@pytest.fixture
def client(emulated_aws: None) -> Iterator[Client]:
    from app import app

    with Client(app) as test_client:
        yield test_client


class Api:
    """Small helper over the test client: JSON in and out, bearer tokens."""

    def __init__(self, client: Client) -> None:
        self.client = client

    def call(
        self, method: str, path: str, body: Any = None, token: str | None = None, raw: str | None = None
    ):
        headers = {"Content-Type": "application/json"}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        payload = raw if raw is not None else (json.dumps(body) if body is not None else None)
        response = getattr(self.client.http, method.lower())(path, headers=headers, body=payload)
        is_json = response.headers.get("Content-Type", "").startswith("application/json")
        response.json = json.loads(response.body) if response.body and is_json else None
        return response

    def create_facilitator(self, name: str = "Robin", email: str | None = None) -> dict[str, Any]:
        body = {"display_name": name} | ({"email": email} if email else {})
        response = self.call("POST", "/v1/admin/facilitators", body, token=TEST_ADMIN_TOKEN)
        assert response.status_code == 201, response.body
        return response.json

    def create_group(self, facilitator_token: str, **fields: Any) -> dict[str, Any]:
        body = {"name": "Tuesday Circle", "topic": "anxiety", "timezone": "America/New_York"} | fields
        response = self.call("POST", "/v1/groups", body, token=facilitator_token)
        assert response.status_code == 201, response.body
        return response.json

    def create_series(self, facilitator_token: str, group_id: str, **fields: Any) -> dict[str, Any]:
        body = {
            "start_local": "2026-12-01T19:00",
            "timezone": "America/New_York",
            "duration_minutes": 60,
            "rrule": "FREQ=WEEKLY;BYDAY=TU",
            "conference_url": "https://meet.example.org/tuesday",
        } | fields
        response = self.call("POST", f"/v1/groups/{group_id}/series", body, token=facilitator_token)
        assert response.status_code == 201, response.body
        return response.json

    def join(self, code: str, handle: str | None = None, token: str | None = None, **fields: Any):
        body = {"code": code} | ({"handle": handle} if handle else {}) | fields
        return self.call("POST", "/v1/join", body, token=token)

    def member(self, code: str, handle: str | None = None) -> dict[str, Any]:
        response = self.join(code, handle)
        assert response.status_code == 201, response.body
        return response.json

    def outbox(self, to: str | None = None) -> list[dict[str, Any]]:
        from urllib.parse import quote

        path = "/v1/dev/outbox" + (f"?to={quote(to)}" if to else "")
        return self.call("GET", path).json["messages"]


@pytest.fixture
def api(client: Client) -> Api:
    return Api(client)


class Clock:
    """A settable clock for the sessions and feeds services."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock(client: Client) -> Clock:
    from chalicelib.notify.senders import pacer
    from chalicelib.services.container import services

    pinned = Clock(datetime(2026, 11, 27, 12, 0, tzinfo=UTC))
    hub = services()
    hub.series.clock = pinned
    hub.rsvps.clock = pinned
    hub.sessions.clock = pinned
    hub.groups.upcoming.clock = pinned
    hub.feeds.clock = pinned
    hub.room.clock = pinned
    hub.moderation.clock = pinned
    hub.live.clock = pinned
    pacer().clock = pinned  # a reminder's deadline is checked against the same time
    return pinned


@pytest.fixture
def world(api: Api, clock: Clock) -> dict[str, Any]:
    """Two facilitators each with a group, and members in each."""
    here_fac = api.create_facilitator("Robin")
    there_fac = api.create_facilitator("Sky")
    here = api.create_group(here_fac["token"], name="Tuesday Circle", listed=False)
    there = api.create_group(
        there_fac["token"], name="Open Harbor", listed=True, access="open", topic="grief"
    )
    member_here = api.member(here["invite"]["code"], "Quiet Otter")
    member_there = api.member(there["join_code"], "Bright Finch")
    series_here = api.create_series(here_fac["token"], here["group_id"], capacity=5)
    api.create_series(there_fac["token"], there["group_id"])
    me = api.call("GET", "/v1/me", token=member_here["token"]).json
    return {
        "series_here": series_here,
        "session_here": series_here["next_sessions"][0]["session_id"],
        "feed_token": me["calendar_url"].split("/v1/feeds/")[1].split("/")[0],
        "facilitator_here": here_fac,
        "facilitator_there": there_fac,
        "group_here": here,
        "group_there": there,
        "member_here": member_here,
        "member_there": member_there,
    }


@pytest.fixture
def callers(api: Api, world: dict[str, Any]) -> dict[str, str | None]:
    """A token for every kind of caller (None: anonymous): in group_here one member is muted, one removed."""
    code = world["group_here"]["invite"]["code"]
    muted = api.member(code, "Hush Puppy")
    api.call(
        "POST",
        f"/v1/groups/{world['group_here']['group_id']}/members/{muted['member_id']}/mute",
        {"minutes": 60},
        token=world["facilitator_here"]["token"],
    )
    removed = api.member(code, "Gone Away")
    api.call(
        "DELETE",
        f"/v1/groups/{world['group_here']['group_id']}/members/{removed['member_id']}",
        token=world["facilitator_here"]["token"],
    )
    return {
        "anonymous": None,
        "member_here": world["member_here"]["token"],
        "muted_member": muted["token"],
        "member_elsewhere": world["member_there"]["token"],
        "removed_member": removed["token"],
        "facilitator_here": world["facilitator_here"]["token"],
        "facilitator_elsewhere": world["facilitator_there"]["token"],
        "admin": TEST_ADMIN_TOKEN,
    }
