"""A member's pages in a real browser: joining, sessions, the room, reminders, leaving."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.browser.conftest import code_in, screenshot

HTML_BODY = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script><b>hi</b> & bye'


@pytest.fixture
def circle(api) -> dict[str, Any]:
    """An invite-only group with guidelines and a weekly series of 2 places, in New York."""
    facilitator = api.facilitator("Robin")
    group = api.group(
        facilitator["token"],
        name="Tuesday Evening Circle",
        description="Be kind. What is shared here stays here. Speak from your own experience.",
    )
    series = api.ok(
        "POST",
        f"/v1/groups/{group['group_id']}/series",
        {
            "title": "Evening check-in",
            "start_local": (datetime.now(UTC) + timedelta(days=2)).strftime("%Y-%m-%dT19:00"),
            "timezone": "America/New_York",
            "duration_minutes": 60,
            "rrule": "FREQ=WEEKLY",
            "capacity": 2,
        },
        facilitator["token"],
    )
    return {"facilitator": facilitator, "group": group, "series": series}


def _token(page, group_id: str) -> str:
    stored = page.evaluate("(gid) => localStorage.getItem('hearth.member.' + gid)", group_id)
    assert stored, "no member token stored for the group"
    return json.loads(stored)["token"]


def _join(page, code: str, handle: str | None = None) -> None:
    page.goto(f"/j/{code}")
    page.get_by_role("button", name="Join this group").wait_for()
    if handle:
        page.get_by_label("I'll choose my own").check()
        page.get_by_label("Your name in this group").fill(handle)
    page.get_by_role("button", name="Join this group").click()
    page.wait_for_url("**/g/**")
    page.get_by_text("You're here as").wait_for()


def test_join_by_link_shows_the_group_and_joins_only_on_the_button(api, circle, page):
    group = circle["group"]

    page.goto(f"/j/{group['invite']['code']}")

    page.get_by_role("heading", name="Tuesday Evening Circle").wait_for()
    assert page.get_by_text("What is shared here stays here.").is_visible()
    assert (
        api.ok("GET", f"/v1/groups/{group['group_id']}", token=circle["facilitator"]["token"])["member_count"]
        == 0
    )

    page.get_by_label("I'll choose my own").check()
    name = page.get_by_label("Your name in this group")
    name.fill("robin@example.org")
    page.get_by_role("button", name="Join this group").click()
    page.locator("#handle-error").wait_for()
    assert name.get_attribute("aria-invalid") == "true"
    assert page.url.endswith(f"/j/{group['invite']['code']}")

    name.fill("Calm Heron")
    page.get_by_role("button", name="Join this group").click()

    page.wait_for_url(f"**/g/{group['group_id']}")
    page.get_by_role("heading", name="Tuesday Evening Circle").wait_for()
    assert page.locator("#handle").text_content() == "Calm Heron"
    me = api.ok("GET", "/v1/me", token=_token(page, group["group_id"]))
    assert (me["handle"], me["group_id"], me["timezone"]) == (
        "Calm Heron",
        group["group_id"],
        "America/New_York",
    )


def test_a_generated_name_is_taken_when_none_is_chosen(api, circle, page):
    _join(page, circle["group"]["invite"]["code"])

    handle = page.locator("#handle").text_content()
    assert 3 <= len(handle) <= 24
    assert api.ok("GET", "/v1/me", token=_token(page, circle["group"]["group_id"]))["handle"] == handle


def test_rsvp_cancel_and_waitlist_in_the_members_time_zone(api, circle, page):
    group = circle["group"]
    first = circle["series"]["next_sessions"][0]
    _join(page, group["invite"]["code"], "Calm Heron")
    token = _token(page, group["group_id"])
    session = page.locator(f'[data-session="{first["session_id"]}"]')
    session.wait_for()
    assert (
        "EST" in session.locator(".when").text_content() or "EDT" in session.locator(".when").text_content()
    )
    assert "Times are shown in America/New York" in page.locator("#zone-line").text_content()

    session.get_by_role("button", name="I'll be there").click()
    session.get_by_text("You're going", exact=True).wait_for()
    assert api.ok("GET", f"/v1/sessions/{first['session_id']}", token=token)["my_rsvp"] == "going"
    assert "1 of 2 places taken" in session.text_content()

    session.get_by_role("button", name="Cancel my place").click()
    session.get_by_role("button", name="I'll be there").wait_for()
    assert api.ok("GET", f"/v1/sessions/{first['session_id']}", token=token)["my_rsvp"] is None

    # Two others fill the session: the member joins the waitlist.
    for handle in ("Early Bird", "Second Owl"):
        other = api.member(group["invite"]["code"], handle)
        api.ok("PUT", f"/v1/sessions/{first['session_id']}/rsvp", token=other["token"])
    page.reload()
    session.get_by_role("button", name="Join the waitlist").click()
    session.get_by_text("You're number 1 on the waitlist", exact=True).wait_for()
    assert api.ok("GET", f"/v1/sessions/{first['session_id']}", token=token)["my_rsvp"] == "waitlisted"

    # The member changes zone: the same session is shown in London time.
    page.get_by_text("Change time zone").click()
    page.get_by_label("Show times in").select_option("Europe/London")
    page.get_by_role("button", name="Save time zone").click()
    page.get_by_text("Times are now shown in Europe/London.").wait_for()
    assert "GMT" in session.locator(".when").text_content()
    assert api.ok("GET", "/v1/me", token=token)["timezone"] == "Europe/London"


def test_the_join_button_appears_when_the_session_opens(api, page):
    facilitator = api.facilitator()
    group = api.group(facilitator["token"], timezone="UTC")
    soon = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(minutes=5)
    series = api.ok(
        "POST",
        f"/v1/groups/{group['group_id']}/series",
        {
            "start_local": soon.strftime("%Y-%m-%dT%H:%M"),
            "timezone": "UTC",
            "duration_minutes": 30,
            "rrule": "FREQ=DAILY;COUNT=1",
            "conference_url": "https://meet.example.org/hearth-room",
        },
        facilitator["token"],
    )
    session_id = series["next_sessions"][0]["session_id"]
    _join(page, group["invite"]["code"])
    session = page.locator(f'[data-session="{session_id}"]')

    session.get_by_role("button", name="I'll be there").click()
    session.get_by_role("button", name="Join the session now").click()

    link = session.get_by_role("link", name="Open the meeting")
    link.wait_for()
    assert link.get_attribute("href") == "https://meet.example.org/hearth-room"
    assert link.get_attribute("rel") == "noopener noreferrer"


def test_a_message_with_html_is_shown_as_text_and_runs_nothing(api, circle, page, tmp_path):
    group = circle["group"]
    _join(page, group["invite"]["code"], "Calm Heron")

    page.get_by_label("Write a message").fill(HTML_BODY)
    page.get_by_role("button", name="Send", exact=True).click()

    mine = page.locator("#messages li.message.mine")
    mine.wait_for()
    assert mine.locator(".body").text_content() == HTML_BODY
    assert page.locator("#messages img, #messages script, #messages b").count() == 0
    page.wait_for_timeout(300)
    assert page.evaluate("window.__pwned") is None
    assert page.get_by_label("Write a message").input_value() == ""
    stored = api.ok("GET", f"/v1/groups/{group['group_id']}/messages", token=_token(page, group["group_id"]))
    assert [m["body"] for m in stored["messages"]] == [HTML_BODY]

    # Its author can take it back, after a confirmation.
    mine.get_by_role("button", name="Delete").click()
    mine.get_by_role("button", name="Delete for everyone").click()
    page.get_by_text("Your message was deleted.").wait_for()
    assert page.locator("#messages li.message").count() == 0
    stored = api.ok("GET", f"/v1/groups/{group['group_id']}/messages", token=_token(page, group["group_id"]))
    assert stored["messages"] == []


def test_new_messages_arrive_live_newest_at_the_bottom_and_can_be_reported(api, circle, page, tmp_path):
    group = circle["group"]
    first = circle["series"]["next_sessions"][0]
    other = api.member(group["invite"]["code"], "Bright Finch")
    api.ok(
        "POST",
        f"/v1/groups/{group['group_id']}/messages",
        {"body": "Hi all, first time here."},
        other["token"],
    )
    _join(page, group["invite"]["code"], "Calm Heron")
    page.locator(f'[data-session="{first["session_id"]}"]').get_by_role(
        "button", name="I'll be there"
    ).click()
    page.get_by_text("You're going", exact=True).wait_for()
    page.get_by_label("Write a message").fill("Welcome! Glad you found us.")
    page.get_by_role("button", name="Send", exact=True).click()
    page.get_by_text("Welcome! Glad you found us.").wait_for()

    api.ok(
        "POST",
        f"/v1/groups/{group['group_id']}/messages",
        {"body": "Thank you. Tuesday evenings are hard for me."},
        other["token"],
    )
    api.ok(
        "POST",
        f"/v1/groups/{group['group_id']}/messages",
        {"body": "Welcome, both of you. We start at 7."},
        circle["facilitator"]["token"],
    )

    page.get_by_text("We start at 7.").wait_for(timeout=15_000)
    bodies = page.locator("#messages li.message .body").all_text_contents()
    assert bodies == [
        "Hi all, first time here.",
        "Welcome! Glad you found us.",
        "Thank you. Tuesday evenings are hard for me.",
        "Welcome, both of you. We start at 7.",
    ]
    assert page.locator("#messages li.message").last.get_by_text("Facilitator").is_visible()
    screenshot(page, "room", tmp_path, until="#post-form")

    reported = page.locator("#messages li.message", has_text="Tuesday evenings are hard")
    reported.get_by_role("button", name="Report").click()
    reported.get_by_label("What's wrong? (optional)").fill("Testing the report button")
    reported.get_by_role("button", name="Send report").click()
    reported.get_by_text("You reported this message").wait_for()
    alerts = api.ok("GET", f"/v1/groups/{group['group_id']}/alerts", token=circle["facilitator"]["token"])[
        "alerts"
    ]
    assert [(a["kind"], a["reason"]) for a in alerts] == [("report", "Testing the report button")]


def test_a_crisis_message_shows_help_privately(api, circle, page):
    _join(page, circle["group"]["invite"]["code"], "Calm Heron")

    page.get_by_label("Write a message").fill("Some nights I want to die.")
    page.get_by_role("button", name="Send", exact=True).click()

    help_box = page.get_by_role("alert")
    help_box.wait_for()
    assert "988" in help_box.text_content()


def test_reminder_settings_and_phone_verification_through_the_outbox(api, circle, page):
    group = circle["group"]
    _join(page, group["invite"]["code"], "Calm Heron")
    token = _token(page, group["group_id"])
    phone = "+16145550142"

    page.get_by_label("Email", exact=True).uncheck()
    page.get_by_label("Text message", exact=True).check()
    page.get_by_label("1 day before").check()
    page.get_by_label("1 hour before").check()
    page.get_by_label("Don't send reminders at night").check()
    page.get_by_label("From", exact=True).fill("22:00")
    page.get_by_label("Until", exact=True).fill("07:30")
    page.get_by_role("button", name="Save reminder settings").click()
    page.get_by_text("Saved. Reminders will come by text message.").wait_for()
    reminders = api.ok("GET", "/v1/me", token=token)["reminders"]
    assert reminders == {
        "channels": ["sms"],
        "lead_minutes": [1440, 60],
        "quiet_hours": {"start": "22:00", "end": "07:30"},
    }

    page.get_by_label("Mobile number").fill("(614) 555-0142")
    page.get_by_role("button", name="Text me a code").click()
    page.get_by_text("We sent a 6-digit code to").wait_for()
    assert page.get_by_text("Waiting for the code").is_visible()
    code = code_in(api.outbox(phone)[-1]["body"])

    page.get_by_label("6-digit code from the text").fill("000000" if code != "000000" else "111111")
    page.get_by_role("button", name="Verify phone").click()
    page.locator("#phone-code-error").wait_for()

    page.get_by_label("6-digit code from the text").fill(code)
    page.get_by_role("button", name="Verify phone").click()
    page.get_by_text("Your phone is verified.").wait_for()
    assert page.locator("#phone-state").get_by_text("Verified").is_visible()
    assert "0142" in page.locator("#phone-state").text_content()
    assert api.ok("GET", "/v1/me", token=token)["contact"]["sms"]["status"] == "verified"
    assert phone not in page.content()


def test_add_to_calendar_offers_the_private_feed(api, circle, page):
    group = circle["group"]
    _join(page, group["invite"]["code"])
    token = _token(page, group["group_id"])
    calendar_url = api.ok("GET", "/v1/me", token=token)["calendar_url"]

    assert page.get_by_role("link", name="Download .ics file").get_attribute("href") == calendar_url
    assert page.get_by_role("link", name="Add to calendar").get_attribute("href") == calendar_url.replace(
        "http:", "webcal:"
    )
    page.get_by_role("button", name="Make a new private link").click()
    page.get_by_text("Here is your new private link.").wait_for()
    fresh = api.ok("GET", "/v1/me", token=token)["calendar_url"]
    assert fresh != calendar_url
    assert page.locator("#calendar-url").input_value() == fresh


def test_leaving_erases_the_membership_after_a_confirmation(api, circle, page):
    group = circle["group"]
    _join(page, group["invite"]["code"], "Calm Heron")
    token = _token(page, group["group_id"])

    page.get_by_role("button", name="Leave and erase my data").click()
    page.get_by_role("button", name="No, stay").click()
    assert api.call("GET", "/v1/me", token=token)[0] == 200

    page.get_by_role("button", name="Leave and erase my data").click()
    page.get_by_role("button", name="Yes, leave and erase").click()

    page.get_by_role("heading", name="You've left the group").wait_for()
    assert page.evaluate("(gid) => localStorage.getItem('hearth.member.' + gid)", group["group_id"]) is None
    assert api.call("GET", "/v1/me", token=token)[0] == 401
    roster = api.ok("GET", f"/v1/groups/{group['group_id']}/members", token=circle["facilitator"]["token"])
    assert "Calm Heron" not in [m["handle"] for m in roster["members"]]


def test_the_sms_sign_in_link_opens_the_room_only_after_continue(api, circle, page):
    import re

    phone = "+16145550188"
    replies = api.ok(
        "POST", "/v1/dev/sms", {"from": phone, "body": f"JOIN {circle['group']['invite']['code']}"}
    )
    link = re.search(r"(/g/\S+#login=\S+)", replies["replies"][0]).group(1)

    page.goto(link)
    page.get_by_role("button", name="Continue").wait_for()
    assert "login=" not in page.url  # the secret leaves the address bar at once
    assert (
        page.evaluate("(gid) => localStorage.getItem('hearth.member.' + gid)", circle["group"]["group_id"])
        is None
    )
    page.get_by_role("button", name="Continue").click()
    page.get_by_text("You're here as").wait_for()

    token = _token(page, circle["group"]["group_id"])
    status, me = api.call("GET", "/v1/me", token=token)
    assert status == 200
    assert me["contact"]["sms"]["status"] == "verified"
    assert api.call("POST", "/v1/login", {"login": link.split("#login=")[1]})[0] == 410  # used once
