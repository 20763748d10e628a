"""The room is live in the browser, on `make run`'s stack: pushes arrive over the WebSocket.

Each test reads the frames a page's socket received (Playwright's websocket events) and the
message polls it made, so "shown over the socket, with no poll in between" is observed, not
assumed. Waiting is always for a condition (a frame, a close, an element), never for a time.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE

WAIT = 15_000  # ms: how long a condition may take to hold before the test fails


@dataclass
class Live:
    """What one page did on the live path: its sockets, the frames they received, its polls."""

    sockets: list[Any] = field(default_factory=list)
    frames: list[dict[str, Any]] = field(default_factory=list)
    polls: list[str] = field(default_factory=list)

    def watch(self, page: Any) -> Any:
        page.on("websocket", self._socket)
        page.on(
            "request",
            lambda request: (
                self.polls.append(request.url)
                if request.method == "GET" and re.search(r"/v1/groups/[^/]+/messages", request.url)
                else None
            ),
        )
        return page

    def _socket(self, socket: Any) -> None:
        self.sockets.append(socket)
        socket.on("framereceived", lambda payload: self.frames.append(json.loads(payload)))


@pytest.fixture
def group(api) -> dict[str, Any]:
    facilitator = api.facilitator("Robin")
    created = api.group(facilitator["token"], name="Thursday Circle")
    return {
        "facilitator": facilitator["token"],
        "group_id": created["group_id"],
        "code": created["invite"]["code"],
    }


def _room(new_page: Any, group: dict[str, Any], member: dict[str, Any], live: Live) -> Any:
    """A member's room page, signed in, once its socket is open and it has caught up."""
    page = live.watch(new_page(PHONE))
    _open_room(page, group, member)
    expect(page.locator("body")).to_have_attribute("data-live", "open", timeout=WAIT)
    return page


def _open_room(page: Any, group: dict[str, Any], member: dict[str, Any]) -> None:
    """Signs the page in as `member` (their token in this origin's storage) and opens the room."""
    page.goto("/")
    page.evaluate(
        "([gid, value]) => localStorage.setItem('hearth.member.' + gid, value)",
        [group["group_id"], json.dumps({"token": member["token"], "member_id": member["member_id"]})],
    )
    page.goto(f"/g/{group['group_id']}")


def test_a_post_and_its_hiding_reach_the_other_member_over_the_socket(api, group, new_page, live_url):
    """Given two members in the room, when one posts and then deletes the message, then the other's
    page shows it and then drops it, each from a pushed frame, without polling in between."""
    writer, reader = Live(), Live()
    writing = _room(new_page, group, api.member(group["code"], "Calm Heron"), writer)
    reading = _room(new_page, group, api.member(group["code"], "Bright Finch"), reader)
    assert [socket.url.split("?")[0] for socket in reader.sockets] == [live_url]
    polls_before = len(reader.polls)

    writing.get_by_label("Write a message").fill("Is anyone around tonight?")
    writing.get_by_role("button", name="Send", exact=True).click()

    shown = reading.locator("#messages li.message", has_text="Is anyone around tonight?")
    expect(shown).to_be_visible(timeout=WAIT)
    pushed = [frame for frame in reader.frames if frame["type"] == "message"]
    assert [(frame["message"]["body"], frame["message"]["mine"]) for frame in pushed] == [
        ("Is anyone around tonight?", False)
    ]
    assert len(reader.polls) == polls_before, "the reader polled for the message"

    mine = writing.locator("#messages li.message.mine")
    mine.get_by_role("button", name="Delete").click()
    mine.get_by_role("button", name="Delete for everyone").click()

    expect(shown).to_have_count(0, timeout=WAIT)
    assert {"type": "message_hidden", "message_id": pushed[0]["message"]["message_id"]} in reader.frames
    assert len(reader.polls) == polls_before, "the reader polled for the hiding"
    expect(reading.get_by_text("No messages yet.")).to_be_visible()


def test_a_removed_members_socket_is_closed_and_the_page_says_so(api, group, new_page):
    member = api.member(group["code"], "Quiet Otter")
    live = Live()
    page = _room(new_page, group, member, live)
    (socket,) = live.sockets

    with socket.expect_event("close"):
        api.ok(
            "DELETE",
            f"/v1/groups/{group['group_id']}/members/{member['member_id']}",
            token=group["facilitator"],
        )

    expect(page.get_by_text("You're no longer a member of this group.")).to_be_visible(timeout=WAIT)
    expect(page.locator("body")).not_to_have_attribute("data-live", re.compile(".*"))


def test_while_the_socket_is_down_the_page_polls_and_it_stops_once_the_socket_is_back(
    api, group, new_page, live_url
):
    """Every socket the page opens is dropped at once (as a bad network would) until the gateway is
    let through: meanwhile the page polls and still shows new messages; once a socket stays open,
    polling stops and messages come over the socket."""
    member = api.member(group["code"], "Soft Fern")
    other = api.member(group["code"], "Still Pond")
    live = Live()
    page = live.watch(new_page(PHONE))
    network = {"down": True, "attempts": 0}

    def gateway(route: Any) -> None:
        network["attempts"] += 1
        if network["down"]:
            route.close()  # never reaches the gateway: the page sees its socket drop
        else:
            route.connect_to_server()

    page.route_web_socket(re.compile(re.escape(live_url) + r"\?.*"), gateway)
    _open_room(page, group, member)
    expect(page.locator("body")).to_have_attribute("data-live", "polling", timeout=WAIT)

    api.ok("POST", f"/v1/groups/{group['group_id']}/messages", {"body": "still there?"}, other["token"])
    expect(page.locator("#messages li.message", has_text="still there?")).to_be_visible(timeout=WAIT)
    assert live.frames == [], "a frame reached the page while its sockets were dropped"

    network["down"] = False
    expect(page.locator("body")).to_have_attribute("data-live", "open", timeout=3 * WAIT)  # after the backoff
    assert network["attempts"] >= 2

    polls_before = len(live.polls)
    api.ok("POST", f"/v1/groups/{group['group_id']}/messages", {"body": "back again"}, other["token"])
    expect(page.locator("#messages li.message", has_text="back again")).to_be_visible(timeout=WAIT)
    assert [frame["message"]["body"] for frame in live.frames if frame["type"] == "message"] == ["back again"]
    assert len(live.polls) == polls_before, "the page kept polling with its socket open"
