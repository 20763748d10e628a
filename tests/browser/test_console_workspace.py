"""The facilitator's workspace in a real browser: a crisis from alert to reply to handled, the room
live in the console, RSVPs by name, unmuting, plain-language scheduling and changing a series from a
date on; axe-core finds no violation in any console state reached, nor on the member's room."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, PHONE, screenshot
from tests.browser.test_live_room import _open_room
from tests.conftest import ROOT

WAIT = 15_000
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"


def axe_violations(page: Any) -> list[str]:
    """axe-core, from this checkout's node_modules, run in the page (tests only; never shipped).

    Evaluated through the DevTools protocol, so the page's CSP (script-src 'self') is untouched.
    """
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    return page.evaluate(
        """() => axe.run(document, {resultTypes: ['violations']}).then(result =>
             result.violations.map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(' | ')))"""
    )


def assert_accessible(page: Any) -> None:
    assert axe_violations(page) == []


def _sign_in(page: Any, token: str) -> None:
    page.goto("/f")
    page.get_by_label("Facilitator token").fill(token)
    page.get_by_role("button", name="Sign in").click()


@pytest.fixture
def circle(api) -> dict[str, Any]:
    """A facilitator with an unlisted group made elsewhere (through the API, not this browser)."""
    facilitator = api.facilitator("Robin")
    group = api.group(facilitator["token"], name="Tuesday Evening Circle", listed=False)
    return {
        "facilitator": facilitator,
        "group": group,
        "gid": group["group_id"],
        "code": group["invite"]["code"],
    }


def test_pinned_axe_is_the_one_in_package_json():
    declared = json.loads((ROOT / "package.json").read_text())["devDependencies"]["axe-core"]
    installed = json.loads((ROOT / "node_modules" / "axe-core" / "package.json").read_text())["version"]
    assert declared == installed


def test_a_crisis_is_opened_answered_in_the_room_and_stays_handled(api, circle, new_page, tmp_path):
    gid = circle["gid"]
    writer = api.member(circle["code"], "Stormy Petrel")
    member_page = new_page(PHONE)
    _open_room(member_page, {"group_id": gid}, writer)
    expect(member_page.locator("body")).to_have_attribute("data-live", "open", timeout=WAIT)
    assert_accessible(member_page)

    # A fresh browser signs in and finds the unlisted group made elsewhere.
    page = new_page(DESKTOP)
    _sign_in(page, circle["facilitator"]["token"])
    page.get_by_role("heading", name="Tuesday Evening Circle").wait_for()
    expect(page.locator("body")).to_have_attribute("data-live", "open", timeout=WAIT)
    expect(page.locator("#alerts")).to_contain_text("No open alerts")
    assert_accessible(page)

    # The member's crisis message reaches the console's room over the socket, and becomes an alert.
    member_page.get_by_label("Write a message").fill("Honestly I want to end my life tonight.")
    member_page.get_by_role("button", name="Send", exact=True).click()
    expect(page.locator("#room-messages li.message", has_text="I want to end my life")).to_be_visible(
        timeout=WAIT
    )
    alert = page.locator("#alerts li.alert-item", has_text="I want to end my life")
    expect(alert).to_be_visible(timeout=WAIT)
    expect(page.locator("#alerts-total")).to_have_text("1 open alert")
    expect(page.locator(f'#group-list [data-group="{gid}"]')).to_contain_text("1 open alert")
    assert_accessible(page)

    # Opening it shows the message in the room; the reply goes straight into the room.
    alert.get_by_role("button", name="Open in room").click()
    expect(page.locator("#room-messages li.message.highlight")).to_contain_text("I want to end my life")
    alert.get_by_role("button", name="Reply in room").click()
    expect(page.get_by_label("Write to the room")).to_have_value("@Stormy Petrel ")
    page.get_by_label("Write to the room").press_sequentially("I'm here with you. Please call or text 988.")
    page.get_by_role("button", name="Post", exact=True).click()
    reply = member_page.locator("#messages li.message", has_text="I'm here with you.")
    expect(reply).to_be_visible(timeout=WAIT)
    expect(reply).to_contain_text("Facilitator")
    screenshot(page, "console-alert", tmp_path)

    # Marked handled, it leaves the queue, and a reload keeps it so.
    alert.get_by_role("button", name="Mark handled").click()
    expect(page.locator("#alerts")).to_contain_text("No open alerts", timeout=WAIT)
    expect(page.locator("#alerts-total")).to_be_hidden()
    page.reload()
    page.get_by_role("heading", name="Tuesday Evening Circle").wait_for()
    expect(page.locator("#alerts")).to_contain_text("No open alerts", timeout=WAIT)
    page.get_by_text("Handled alerts").click()
    expect(page.locator("#handled li")).to_contain_text("Handled by Robin")
    page.get_by_text("Audit trail").click()
    expect(page.locator("#audit li").first).to_contain_text("Robin marked an alert handled")
    assert "end my life" not in page.locator("#audit").text_content()
    assert_accessible(page)
    handled = api.ok("GET", f"/v1/groups/{gid}/alerts?status=handled", token=circle["facilitator"]["token"])
    assert [a["handled_by"] for a in handled["alerts"]] == ["Robin"]


def test_rsvps_by_name_and_unmute_from_the_members_list(api, circle, new_page, tmp_path):
    gid, token = circle["gid"], circle["facilitator"]["token"]
    start = (datetime.now(ZoneInfo("America/New_York")) + timedelta(days=3)).strftime("%Y-%m-%dT18:00")
    series = api.ok(
        "POST",
        f"/v1/groups/{gid}/series",
        {
            "title": "Check-in",
            "start_local": start,
            "timezone": "America/New_York",
            "duration_minutes": 60,
            "rrule": "FREQ=WEEKLY",
            "capacity": 1,
        },
        token,
    )
    first = series["next_sessions"][0]["session_id"]
    people = [api.member(circle["code"], name) for name in ("Calm Heron", "Bright Finch")]
    for person in people:
        api.ok("PUT", f"/v1/sessions/{first}/rsvp", token=person["token"])
    api.ok("POST", f"/v1/groups/{gid}/members/{people[1]['member_id']}/mute", {"minutes": 60}, token)

    page = new_page(PHONE)
    _sign_in(page, token)
    page.get_by_role("heading", name="Tuesday Evening Circle").wait_for()
    session = page.locator(f'#sessions [data-session="{first}"]')
    session.get_by_role("button", name="Who is coming").click()
    expect(session.locator(".rsvps")).to_contain_text("Going (1)")
    assert session.locator(".rsvps ul li").all_text_contents() == ["Calm Heron"]
    assert session.locator(".rsvps ol li").all_text_contents() == ["Bright Finch"]
    assert_accessible(page)

    muted = page.locator(f'#members [data-member="{people[1]["member_id"]}"]')
    expect(muted).to_contain_text("Muted until")
    screenshot(page, "console-phone", tmp_path)
    muted.get_by_role("button", name="Unmute Bright Finch").click()
    expect(page.locator("#members-status")).to_have_text("Bright Finch can post again.")
    expect(muted).not_to_contain_text("Muted until")
    api.ok("POST", f"/v1/groups/{gid}/messages", {"body": "Thanks, I'm back."}, people[1]["token"])
    assert_accessible(page)

    # The phone layout: nothing wider than the screen; the alerts come before the rest.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    order = page.evaluate(
        "['alerts-title', 'room-title', 'sessions-title']"
        ".map(id => document.getElementById(id).getBoundingClientRect().top)"
    )
    assert order == sorted(order)


def test_schedule_weekly_in_plain_words_then_change_it_from_a_date_on(api, circle, new_page, tmp_path):
    gid, token = circle["gid"], circle["facilitator"]["token"]
    zone = ZoneInfo("America/New_York")
    today = datetime.now(zone).date()
    tuesday = today + timedelta(days=2 + (1 - (today + timedelta(days=2)).weekday()) % 7)

    page = new_page(DESKTOP)
    _sign_in(page, token)
    page.get_by_role("heading", name="Schedule a series").wait_for()
    search = page.locator("#s-timezone-search")
    search.fill("Chicago")
    assert page.locator("#s-timezone").input_value() == "America/Chicago"
    search.fill("New York")
    assert page.locator("#s-timezone").input_value() == "America/New_York"
    assert "UTC-" in page.locator("#s-timezone option:checked").text_content()
    page.get_by_label("First session").fill(tuesday.isoformat())
    page.get_by_label("Starts at").fill("19:00")
    summary = page.locator("#s-summary")
    expect(summary).to_have_text(
        f"Every Tuesday at 7:00 PM, 60 minutes, starting {tuesday:%a, %b} {tuesday.day}."
    )
    expect(page.locator("#s-next")).to_contain_text(
        f"{tuesday + timedelta(days=7):%a, %b} {(tuesday + timedelta(days=7)).day}, 7:00 PM"
    )
    assert "FREQ" not in page.locator("#series-form").inner_text()
    assert_accessible(page)

    page.get_by_role("button", name="Schedule series").dblclick()
    page.locator("#series-result").get_by_text("Scheduled.").wait_for()
    series = api.ok("GET", f"/v1/groups/{gid}/series", token=token)["series"]
    assert [(s["rrule"], s["start_local"]) for s in series] == [
        ("FREQ=WEEKLY;BYDAY=TU", f"{tuesday.isoformat()}T19:00")
    ]

    # This and following: from the second Tuesday on, Wednesdays at 8 PM.
    item = page.locator("#series li.session").first
    expect(item).to_contain_text("Every Tuesday at 7:00 PM, 60 minutes")
    item.get_by_role("button", name="Change series").click()
    second = tuesday + timedelta(days=7)
    item.get_by_label("From the session on").select_option(index=1)
    item.get_by_label("New day").select_option("WE")
    item.get_by_label("New time (America/New York)").fill("20:00")
    expect(item.locator(".plain")).to_contain_text(
        f"From {second:%a, %b} {second.day} on: Every Wednesday at 8:00 PM, 60 minutes"
    )
    assert_accessible(page)
    item.get_by_role("button", name="Save the change").click()
    page.get_by_text("Changed from").wait_for()
    after = api.ok("GET", f"/v1/groups/{gid}/series", token=token)["series"]
    active = [s for s in after if s["status"] == "active"]
    assert [(s["rrule"], s["start_local"][11:]) for s in active] == [("FREQ=WEEKLY;BYDAY=WE", "20:00")]
    sessions = api.ok("GET", f"/v1/groups/{gid}/sessions", token=token)["sessions"]
    scheduled = [s["start_local"] for s in sessions if s["status"] == "scheduled"]
    assert scheduled[0] == f"{tuesday.isoformat()}T19:00"
    assert scheduled[1] == f"{(second + timedelta(days=1)).isoformat()}T20:00"
    screenshot(page, "console-schedule", tmp_path)
    assert_accessible(page)


def test_the_members_room_page_has_no_axe_violation(api, circle, new_page):
    member = api.member(circle["code"], "Quiet Otter")
    api.ok(
        "POST",
        f"/v1/groups/{circle['gid']}/messages",
        {"body": "Welcome, all."},
        circle["facilitator"]["token"],
    )
    page = new_page(PHONE)
    _open_room(page, {"group_id": circle["gid"]}, member)
    page.locator("#messages li.message").first.wait_for()
    assert_accessible(page)
