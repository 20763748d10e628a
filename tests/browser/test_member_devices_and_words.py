"""A member's pages at 360 px: another device, crisis help, and words and times people understand.

Every page state reached is checked with axe-core; the `new_page` fixture fails the test on any
request that leaves the origin, any CSP violation and any script error.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from tests.browser.conftest import code_in, screenshot
from tests.browser.test_console_workspace import assert_accessible
from tests.browser.test_member import _join, _token, circle  # noqa: F401 (fixture)

NEW_YORK = ZoneInfo("America/New_York")
RAW = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}|\b(mem|grp|ser|dev|ses)_[a-z0-9]{6,}|RRULE|webcal|UTC\b")


def _readable(page: Any) -> str:
    return page.locator("body").inner_text()


def assert_plain_words(page: Any) -> None:
    """No raw instant, id, RRULE or webcal anywhere a member reads."""
    assert RAW.search(_readable(page)) is None, RAW.search(_readable(page)).group(0)


def _verify_email(api, token: str, address: str) -> None:
    api.ok("PUT", "/v1/me/contact", {"email": address}, token)
    code = code_in(api.outbox(address)[-1]["body"])
    api.ok("POST", "/v1/me/contact/verify", {"channel": "email", "code": code}, token)


def test_another_device_signs_in_as_the_same_member_and_can_be_signed_out(api, circle, new_page, tmp_path):  # noqa: F811
    phone = new_page()
    group = circle["group"]
    _join(phone, group["invite"]["code"], "Calm Heron")
    assert phone.locator("#only-way-back").is_visible()  # before it matters: no verified contact yet
    assert "only way back" in phone.locator("#only-way-back").inner_text()
    assert_accessible(phone)
    address = "calm.heron@example.org"
    _verify_email(api, _token(phone, group["group_id"]), address)
    phone.reload()
    phone.get_by_role("heading", name="Use Hearth on another device").wait_for()
    assert phone.locator("#only-way-back").is_hidden()

    phone.get_by_role("button", name="Email me a sign-in link").click()
    phone.get_by_text("We sent a one-time link to").wait_for()
    link = re.search(r"(/g/\S+#login=[\w-]+)", api.outbox(address)[-1]["body"]).group(1)
    laptop = new_page()
    laptop.goto(link)
    laptop.get_by_role("button", name="Continue").wait_for()
    assert laptop.locator("#status").inner_text() == ""  # no "Loading your group…" while it waits
    laptop.get_by_role("button", name="Continue").click()
    laptop.get_by_text("You're here as").wait_for()
    assert laptop.locator("#handle").text_content() == "Calm Heron"

    phone.reload()
    phone.get_by_text("Another device, signed in").wait_for()
    assert phone.get_by_text("This device", exact=True).is_visible()
    assert_accessible(phone)
    assert_plain_words(phone)
    screenshot(phone, "devices", tmp_path)
    phone.get_by_role("button", name=re.compile("^Sign out Another device")).click()
    phone.get_by_text("That device is signed out.").wait_for()

    laptop.reload()
    laptop.get_by_role("heading", name="This device isn't in this group").wait_for()
    assert "Use Hearth on another device" in laptop.locator("#signed-out-text").inner_text()
    assert api.call("GET", "/v1/me", token=_token(phone, group["group_id"]))[0] == 200


def test_the_sms_sign_in_page_waits_for_continue_without_a_spinner(api, circle, page):  # noqa: F811
    replies = api.ok(
        "POST", "/v1/dev/sms", {"from": "+16145550177", "body": f"JOIN {circle['group']['invite']['code']}"}
    )
    link = re.search(r"(/g/\S+#login=\S+)", replies["replies"][0]).group(1)

    page.goto(link)

    page.get_by_role("button", name="Continue").wait_for()
    assert page.locator("#status").inner_text() == ""
    assert page.locator(".status.loading").count() == 0
    assert_accessible(page)


def test_crisis_help_has_lines_to_tap_and_says_a_facilitator_knows(api, circle, page, tmp_path):  # noqa: F811
    _join(page, circle["group"]["invite"]["code"], "Calm Heron")

    page.get_by_label("Write a message").fill("Some nights I want to die.")
    page.get_by_role("button", name="Send", exact=True).click()

    help_box = page.get_by_role("alert")
    help_box.wait_for()
    assert "A facilitator knows and will be in touch here." in help_box.inner_text()
    hrefs = help_box.locator("a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert {"tel:988", "sms:988", "sms:741741?body=HOME", "tel:911"} <= set(hrefs)
    assert_accessible(page)
    screenshot(page, "crisis-help", tmp_path, until="#help")


def test_a_muted_member_sees_it_before_posting_with_the_end_in_their_time(api, circle, page):  # noqa: F811
    group = circle["group"]
    _join(page, group["invite"]["code"], "Calm Heron")
    member_id = api.ok("GET", "/v1/me", token=_token(page, group["group_id"]))["member_id"]
    api.ok(
        "POST",
        f"/v1/groups/{group['group_id']}/members/{member_id}/mute",
        {"minutes": 90},
        circle["facilitator"]["token"],
    )

    page.reload()

    note = page.locator("#muted-note")
    note.wait_for()
    until = api.ok("GET", "/v1/me", token=_token(page, group["group_id"]))["muted_until"]
    local = datetime.fromisoformat(until.replace("Z", "+00:00")).astimezone(NEW_YORK)
    clock = local.strftime("%-I:%M %p")
    assert clock in note.inner_text()
    page.get_by_label("Write a message").fill("hello")
    page.get_by_role("button", name="Send", exact=True).click()
    page.locator("#post-status").get_by_text("paused your messages").wait_for()
    assert_plain_words(page)
    assert_accessible(page)


def test_sessions_say_when_they_start_soon_and_what_moved(api, page):
    facilitator = api.facilitator("Robin")
    group = api.group(facilitator["token"], name="Soon Circle")
    soon = datetime.now(UTC) + timedelta(minutes=10, seconds=30)
    series = api.ok(
        "POST",
        f"/v1/groups/{group['group_id']}/series",
        {
            "title": "Check-in",
            "start_local": soon.astimezone(NEW_YORK).strftime("%Y-%m-%dT%H:%M"),
            "timezone": "America/New_York",
            "duration_minutes": 60,
            "rrule": "FREQ=DAILY;COUNT=3",
        },
        facilitator["token"],
    )
    second = series["next_sessions"][1]
    moved_to = (datetime.fromisoformat(second["start_local"]) + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    api.ok("PATCH", f"/v1/sessions/{second['session_id']}", {"start_local": moved_to}, facilitator["token"])

    _join(page, group["invite"]["code"], "Calm Heron")

    page.get_by_text(re.compile(r"Starts in (10|11|9) minutes")).wait_for()
    page.get_by_text("Moved from").wait_for()
    assert_plain_words(page)
    assert_accessible(page)


def test_rsvp_confirms_the_local_date_with_add_to_calendar_and_the_waitlist_says_how_we_reach_you(
    api,
    circle,  # noqa: F811
    page,
):
    group = circle["group"]
    for name in ("First Finch", "Second Wren"):  # two places, both taken by others
        other = api.member(group["invite"]["code"], name)
        session_id = circle["series"]["next_sessions"][1]["session_id"]
        api.ok("PUT", f"/v1/sessions/{session_id}/rsvp", None, other["token"])
    _join(page, group["invite"]["code"], "Calm Heron")
    first = page.locator("[data-session]").nth(0)

    first.get_by_role("button", name="I'll be there").click()

    start = datetime.fromisoformat(circle["series"]["next_sessions"][0]["start"].replace("Z", "+00:00"))
    first = page.locator("[data-session]").nth(0)
    first.get_by_text("You're going on").wait_for()
    assert start.astimezone(NEW_YORK).strftime("%b %-d") in first.inner_text()
    assert first.get_by_role("link", name="Add to calendar").is_visible()

    full = page.locator("[data-session]").nth(1)
    full.get_by_role("button", name="Join the waitlist").click()
    full = page.locator("[data-session]").nth(1)
    full.get_by_text("on the waitlist").first.wait_for()
    words = full.locator(".status").inner_text()
    assert "We'll text you" not in words
    assert "add a phone or email" in words
    assert_plain_words(page)
    assert_accessible(page)


def test_quiet_hours_that_would_silence_every_reminder_say_so(api, circle, page):  # noqa: F811
    _join(page, circle["group"]["invite"]["code"], "Calm Heron")  # sessions at 7:00 PM New York

    page.get_by_label("1 day before").uncheck()
    page.get_by_label("1 hour before").check()
    page.get_by_label("Don't send reminders at night").check()
    page.get_by_label("From", exact=True).fill("17:00")
    page.get_by_label("Until", exact=True).fill("20:00")
    page.get_by_role("button", name="Save reminder settings").click()

    warning = page.locator("#quiet-warning")
    warning.wait_for()
    assert "no reminder would reach you" in warning.inner_text()
    assert_accessible(page)


def test_phone_entry_names_where_texts_go_and_a_wrong_code_says_the_tries_left(api, circle, page):  # noqa: F811
    _join(page, circle["group"]["invite"]["code"], "Calm Heron")
    hint = page.locator("#phone-hint")
    assert "United States" in hint.inner_text()
    assert "Canada" in hint.inner_text()

    page.get_by_label("Mobile number").fill("(614) 555-0143")
    page.get_by_role("button", name="Text me a code").click()
    sent = page.get_by_text("Enter it below")
    sent.wait_for()
    box = page.get_by_label("6-digit code from the text")
    assert sent.bounding_box()["y"] < box.bounding_box()["y"]  # the words sit above the box they mean
    code = code_in(api.outbox("+16145550143")[-1]["body"])
    box.fill("000000" if code != "000000" else "111111")
    page.get_by_role("button", name="Verify phone").click()

    page.locator("#phone-code-error").get_by_text("4 tries left").wait_for()
    assert_accessible(page)


def test_the_room_reads_in_plain_words(api, circle, page):  # noqa: F811
    _join(page, circle["group"]["invite"]["code"], "Calm Heron")
    page.locator("[data-session]").first.wait_for()

    assert_plain_words(page)
