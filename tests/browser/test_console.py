"""The facilitator console in a real browser: groups, invites with a local QR code, scheduling,
sessions, and the alerts queue."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.browser.conftest import DESKTOP, screenshot

REFERENCE = json.loads((Path(__file__).parent / "qr_reference.json").read_text(encoding="utf-8"))


@pytest.fixture
def console(new_page, api) -> tuple[Any, dict[str, Any]]:
    """A desktop page signed in to the console as a new facilitator."""
    facilitator = api.facilitator("Robin")
    page = new_page(DESKTOP)
    page.goto("/f")
    page.get_by_label("Facilitator token").fill(facilitator["token"])
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Create a group").wait_for()
    return page, facilitator


def _open_group(page, group_id: str) -> None:
    """A group made elsewhere appears in the list after a reload (the list comes from the API)."""
    page.evaluate("(id) => { window.location.hash = id; }", group_id)
    page.reload()
    page.locator(f'#group-list [data-group="{group_id}"][aria-current="true"]').wait_for()
    page.get_by_role("heading", name="Invite people").wait_for()


def _shown(text: str) -> str:
    return " ".join(text.replace("\u202f", " ").split())


def _as_shown(instant: datetime) -> str:
    """How Chromium's en-US Intl shows an instant: `Tue, Jan 5, 6:30 PM EST`."""
    hour = instant.hour % 12 or 12
    noon = "PM" if instant.hour >= 12 else "AM"
    return f"{instant:%a, %b} {instant.day}, {hour}:{instant:%M} {noon} {instant:%Z}"


def test_sign_in_refuses_a_bad_or_member_token(new_page):
    page = new_page(DESKTOP)
    page.goto("/f")
    token = page.get_by_label("Facilitator token")

    token.fill("hf_not-a-real-token")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text("That token isn't valid.").wait_for()
    token.fill("hm_a-member-token")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text("That is a member token.").wait_for()
    assert page.evaluate("localStorage.getItem('hearth.facilitator')") is None


def test_create_a_group_schedule_a_weekly_series_and_cancel_one_session(api, console):
    page, facilitator = console
    zone = ZoneInfo("America/New_York")
    today = datetime.now(zone).date()
    tuesday = today + timedelta(days=2 + (1 - (today + timedelta(days=2)).weekday()) % 7)

    page.get_by_label("Name", exact=True).fill("Tuesday Evening Circle")
    page.get_by_label("Topic").fill("anxiety")
    page.get_by_label("Guidelines").fill("Be kind.\nWhat is shared here stays here.")
    page.get_by_label("Time zone").select_option("America/New_York")
    page.get_by_role("button", name="Create group").click()

    page.get_by_role("heading", name="Tuesday Evening Circle").wait_for()
    group_id = page.url.split("#", 1)[1]
    group = api.ok("GET", f"/v1/groups/{group_id}", token=facilitator["token"])
    assert (group["name"], group["description"]) == (
        "Tuesday Evening Circle",
        "Be kind. What is shared here stays here.",
    )
    invite = group["invite"]
    assert page.locator("#invite-url").input_value() == invite["url"]
    assert page.locator("#invite-code").input_value() == invite["code"]
    assert page.locator("#invite-sms").input_value() == f"JOIN {invite['code']}"
    drawn = page.evaluate(
        """(url) => {
             const qr = HearthQR.encode(url);
             const canvas = document.getElementById('invite-qr');
             const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
             let dark = 0;
             for (let i = 0; i < pixels.length; i += 4) if (pixels[i] < 128) dark++;
             return {size: qr.size, dark: dark, width: canvas.width};
           }""",
        invite["url"],
    )
    assert drawn["dark"] > 0
    assert drawn["width"] == (drawn["size"] + 8) * 6

    # The helpers write the rule: weekly on Tuesdays and Thursdays at 18:30, 6 places.
    page.get_by_label("Session name (optional)").fill("Evening check-in")
    page.get_by_label("First session").fill(tuesday.isoformat())
    page.get_by_label("Starts at").fill("18:30")
    page.get_by_label("Thursday").check()
    page.get_by_label("Places (optional)").fill("6")
    assert page.locator("#s-rule").text_content() == "FREQ=WEEKLY;BYDAY=TU,TH"
    assert page.locator("#s-summary").text_content() == (
        f"Every Tuesday and Thursday at 6:30 PM, 60 minutes, starting {tuesday:%a, %b} {tuesday.day}."
    )
    page.get_by_label("Every two weeks").check()
    assert page.locator("#s-rule").text_content() == "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,TH"
    page.get_by_label("Every month").check()
    nth = (tuesday.day - 1) // 7 + 1
    assert page.locator("#s-rule").text_content() == f"FREQ=MONTHLY;BYDAY={nth if nth <= 4 else -1}TU"
    page.get_by_label("Every week").check()
    page.get_by_role("button", name="Schedule series").click()

    # The preview lists the next dates in the group's zone, as the API computed them.
    result = page.locator("#series-result")
    result.get_by_text("Scheduled.").wait_for()
    first_three = [
        datetime.combine(tuesday + timedelta(days=offset), datetime.min.time(), zone).replace(
            hour=18, minute=30
        )
        for offset in (0, 2, 7)
    ]
    assert [_shown(t) for t in result.locator("li").all_text_contents()[:3]] == [
        _as_shown(d) for d in first_three
    ]
    series = api.ok("GET", f"/v1/groups/{group_id}/series", token=facilitator["token"])["series"]
    assert [(s["rrule"], s["start_local"], s["capacity"]) for s in series] == [
        ("FREQ=WEEKLY;BYDAY=TU,TH", f"{tuesday.isoformat()}T18:30", 6)
    ]

    # Members going show up as RSVP counts.
    sessions = page.locator("#sessions li.session[data-session]")
    sessions.first.wait_for()
    first = sessions.first.get_attribute("data-session")
    for handle in ("Calm Heron", "Bright Finch"):
        member = api.member(invite["code"], handle)
        api.ok("PUT", f"/v1/sessions/{first}/rsvp", token=member["token"])
    page.reload()
    item = page.locator(f'#sessions [data-session="{first}"]')
    item.get_by_text("2 going of 6 places").wait_for()

    # Cancel that one session, after a confirmation.
    item.get_by_role("button", name="Cancel session").click()
    item.get_by_text("The 2 people going will be told.").wait_for()
    item.get_by_role("button", name="Yes, cancel it").click()
    page.get_by_text("was cancelled.").wait_for()
    page.locator(f'#sessions [data-session="{first}"]').get_by_text("Cancelled").wait_for()
    assert api.ok("GET", f"/v1/sessions/{first}", token=facilitator["token"])["status"] == "cancelled"
    second = sessions.nth(1).get_attribute("data-session")
    assert api.ok("GET", f"/v1/sessions/{second}", token=facilitator["token"])["status"] == "scheduled"


def test_move_one_session_and_see_the_waitlist(api, console):
    page, facilitator = console
    group = api.group(facilitator["token"], name="Thursday Grief Circle", topic="grief")
    start = (datetime.now(UTC) + timedelta(days=3)).strftime("%Y-%m-%dT18:00")
    series = api.ok(
        "POST",
        f"/v1/groups/{group['group_id']}/series",
        {
            "title": "Grief circle",
            "start_local": start,
            "timezone": "America/New_York",
            "duration_minutes": 60,
            "rrule": "FREQ=WEEKLY",
            "capacity": 1,
        },
        facilitator["token"],
    )
    first, second = (s["session_id"] for s in series["next_sessions"][:2])
    for handle in ("Calm Heron", "Bright Finch"):
        member = api.member(group["invite"]["code"], handle)
        api.ok("PUT", f"/v1/sessions/{first}/rsvp", token=member["token"])

    _open_group(page, group["group_id"])

    item = page.locator(f'#sessions [data-session="{first}"]')
    item.wait_for()
    assert "1 going of 1 places" in item.text_content()
    assert "1 on the waitlist" in item.text_content()

    moved = page.locator(f'#sessions [data-session="{second}"]')
    moved.get_by_role("button", name="Move").click()
    moved.get_by_role("button", name="Don't move").click()
    moved.get_by_role("button", name="Move").click()
    moved.get_by_label("New time (America/New York)").fill("20:15")
    moved.get_by_role("button", name="Move session").click()
    page.get_by_text("People going were told.").wait_for()
    assert api.ok("GET", f"/v1/sessions/{second}", token=facilitator["token"])["start_local"].endswith(
        "T20:15"
    )


def test_act_on_alerts_hide_mute_and_remove(api, console, tmp_path):
    page, facilitator = console
    group = api.group(facilitator["token"], name="Tuesday Evening Circle")
    gid = group["group_id"]
    code = group["invite"]["code"]
    api.ok(
        "POST",
        f"/v1/groups/{gid}/series",
        {
            "title": "Evening check-in",
            "start_local": "2027-01-05T19:00",
            "timezone": "America/New_York",
            "duration_minutes": 60,
            "rrule": "FREQ=WEEKLY;BYDAY=TU",
            "capacity": 12,
        },
        facilitator["token"],
    )
    writer = api.member(code, "Stormy Petrel")
    troll = api.member(code, "Loud Crow")
    reader = api.member(code, "Calm Heron")
    api.ok(
        "POST", f"/v1/groups/{gid}/messages", {"body": "Hello everyone, glad to be here."}, reader["token"]
    )
    api.ok("POST", f"/v1/groups/{gid}/messages", {"body": "Honestly I want to die tonight."}, writer["token"])
    rude = api.ok("POST", f"/v1/groups/{gid}/messages", {"body": "You are all pathetic."}, troll["token"])
    api.ok(
        "POST",
        f"/v1/messages/{rude['message']['message_id']}/report",
        {"reason": "Insulting people"},
        reader["token"],
    )

    _open_group(page, gid)
    alerts = page.locator("#alerts li.alert-item")
    alerts.first.wait_for()
    assert alerts.count() == 2
    report = page.locator("#alerts li.alert-item", has_text="You are all pathetic.")
    crisis_item = page.locator("#alerts li.alert-item", has_text="I want to die tonight.")
    assert "Insulting people" in report.text_content()
    assert "Crisis" in crisis_item.text_content()
    page.locator("#sessions li.session").first.wait_for()
    screenshot(page, "console", tmp_path)

    # Hide the insulting message, mute its author for a day, then remove them.
    report.get_by_role("button", name="Hide message").click()
    report.get_by_text("The message is hidden from everyone.").wait_for()
    visible = api.ok("GET", f"/v1/groups/{gid}/messages", token=reader["token"])["messages"]
    assert rude["message"]["message_id"] not in [m["message_id"] for m in visible]

    report.get_by_label("Mute for").select_option("1440")
    report.get_by_role("button", name="Mute Loud Crow").click()
    report.get_by_text("Loud Crow is muted until").wait_for()
    status, refused = api.call("POST", f"/v1/groups/{gid}/messages", {"body": "Let me talk"}, troll["token"])
    assert (status, refused["code"]) == (403, "muted")

    report.get_by_role("button", name="Remove Loud Crow").click()
    report.get_by_role("button", name="Yes, remove Loud Crow").click()
    report.get_by_text("Loud Crow was removed from the group.").wait_for()
    assert api.call("GET", "/v1/me", token=troll["token"])[0] in (401, 403)

    # The crisis message stays, and its writer can be reached by the facilitator's own judgement.
    assert crisis_item.get_by_role("button", name="Hide message").is_visible()


@pytest.mark.parametrize(
    "case", REFERENCE["cases"], ids=lambda case: f"v{case['version']}-mask{case['mask']}"
)
def test_the_qr_encoder_matches_an_independent_encoder(new_page, case):
    page = new_page(DESKTOP)
    page.goto("/f")
    page.wait_for_function("window.HearthQR !== undefined")

    rows = page.evaluate("([text, mask]) => HearthQR.encode(text, mask).rows()", [case["text"], case["mask"]])
    expected = [format(int(row, 16), f"0{case['size']}b") for row in case["rows"]]

    assert len(rows) == case["size"]
    assert rows == expected
