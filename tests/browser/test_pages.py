"""Every page: a strict CSP header, no request off its own origin, and nothing happens on a GET."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

import pytest

from chalicelib.api.web import page_policy
from tests.browser.conftest import DESKTOP, PHONE


def _policy(header: str) -> dict[str, str]:
    directives = {}
    for part in header.split(";"):
        name, _, value = part.strip().partition(" ")
        directives[name] = value.strip()
    return directives


@pytest.mark.parametrize(
    "socket_url", [None, "ws://127.0.0.1:8001/api", "wss://abc123.execute-api.eu-west-1.amazonaws.com/api"]
)
def test_the_policy_allows_only_this_origin_and_connects_only_to_the_rooms_socket(socket_url):
    header = page_policy(socket_url)
    policy = _policy(header)

    assert policy["default-src"] == "'none'"
    for directive in ("script-src", "style-src", "form-action"):
        assert policy[directive] == "'self'", directive
    socket_origin = socket_url.rsplit("/", 1)[0] if socket_url else None
    assert policy["connect-src"] == " ".join(filter(None, ["'self'", socket_origin]))
    assert policy["img-src"] == "'self' data:"
    assert policy["frame-ancestors"] == "'none'"
    assert policy["base-uri"] == "'none'"
    assert "unsafe-inline" not in header
    assert "unsafe-eval" not in header


@pytest.fixture
def everyone(api) -> dict[str, Any]:
    """A listed, open group with a weekly session, one member, and its facilitator."""
    facilitator = api.facilitator()
    group = api.group(facilitator["token"], listed=True, access="open", description="Be kind.")
    api.weekly_series(facilitator["token"], group["group_id"])
    member = api.member(group["invite"]["code"], "Quiet Heron")
    return {"facilitator": facilitator, "group": group, "member": member}


def _visits(everyone: dict[str, Any]) -> dict[str, str]:
    """Each page (signed in where it can be) and a text that shows it has rendered."""
    group = everyone["group"]
    return {
        "/": "Support groups",
        f"/j/{group['invite']['code']}": group["name"],
        f"/g/{group['group_id']}": "Quiet Heron",
        "/f": "Invite people",
        "/j/NOSUCHCD": "We couldn't find this invite",
        "/g/grp_unknown": "This device isn't in this group",
    }


def _sign_in(page, everyone: dict[str, Any]) -> None:
    page.goto("/")
    page.evaluate(
        "([gid, value]) => localStorage.setItem('hearth.member.' + gid, value)",
        [everyone["group"]["group_id"], json.dumps({"token": everyone["member"]["token"]})],
    )
    page.evaluate(
        "(value) => localStorage.setItem('hearth.facilitator', value)",
        json.dumps({"token": everyone["facilitator"]["token"]}),
    )


def test_every_page_sends_the_csp_and_requests_nothing_off_its_origin(
    everyone, stack, live_url, new_page, watch
):
    """Given a group with a session, a member and a signed-in facilitator, when each page loads, then
    its document and every asset carry the policy and every request stays on the stack's origin."""
    expected_policy = page_policy(live_url)
    page = new_page(DESKTOP)
    documents = []
    page.on(
        "response",
        lambda response: (
            documents.append(response)
            if response.request.resource_type in ("document", "script", "stylesheet")
            else None
        ),
    )
    _sign_in(page, everyone)

    for path, expected in _visits(everyone).items():
        response = page.goto(path)
        assert response.status == 200, path
        assert response.headers["content-security-policy"] == expected_policy, path
        assert response.headers["content-type"].startswith("text/html"), path
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "no-referrer"
        page.get_by_text(expected).first.wait_for()
        page.wait_for_load_state("networkidle")

    assert {urlsplit(r.url).path for r in documents if r.request.resource_type != "document"} >= {
        "/static/hearth.css",
        "/static/hearth.js",
        "/static/index.js",
        "/static/join.js",
        "/static/room.js",
        "/static/live.js",
        "/static/console.js",
        "/static/qr.js",
    }
    for response in documents:
        assert response.headers.get("content-security-policy") == expected_policy, response.url
    assert watch.requests, "the interception saw no request"
    assert all(url.startswith(stack) or url.startswith("data:") for url in watch.requests)
    assert watch.off_origin == []


UNLABELLED = """() => Array.from(document.querySelectorAll('input, select, textarea, button'))
  .filter((el) => el.offsetParent !== null && el.type !== 'hidden')
  .filter((el) => !(el.labels && el.labels.length) && !el.getAttribute('aria-label'))
  .filter((el) => !el.getAttribute('aria-labelledby') && !(el.tagName === 'BUTTON' && el.textContent.trim()))
  .map((el) => el.outerHTML.slice(0, 120))"""


def test_every_page_fits_a_360_pixel_screen_and_labels_every_control(everyone, new_page):
    page = new_page(PHONE)
    _sign_in(page, everyone)

    for path, expected in _visits(everyone).items():
        page.goto(path)
        page.get_by_text(expected).first.wait_for()
        page.wait_for_load_state("networkidle")
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], path
        assert page.evaluate(UNLABELLED) == [], path
        assert page.locator("main h1:visible").count() >= 1, path
        assert page.evaluate("document.documentElement.lang") == "en"


def test_joining_works_with_the_keyboard_alone(api, everyone, page):
    """Skip link first; the radio group, the name field and the button in order; Enter joins."""
    group = everyone["group"]
    page.goto(f"/j/{group['invite']['code']}")
    page.get_by_role("button", name="Join this group").wait_for()

    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    focused = []
    for _ in range(3):
        page.keyboard.press("Tab")
        focused.append(page.evaluate("document.activeElement.value || document.activeElement.textContent"))
    assert focused == ["Hearth", "made-up", "Join this group"]
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("ArrowDown")
    assert page.evaluate("document.activeElement.id") == "handle"
    page.keyboard.type("Keyboard Wren")
    page.keyboard.press("Enter")

    page.wait_for_url(f"**/g/{group['group_id']}")
    page.get_by_text("You're here as").wait_for()
    assert page.locator("#handle").text_content() == "Keyboard Wren"


def test_a_failed_call_shows_an_error_and_a_way_to_try_again(everyone, page):
    def fail(route):
        route.fulfill(status=503, content_type="application/json", body='{"code":"x","message":"Down."}')

    page.route("**/v1/groups", fail)
    page.goto("/")

    page.get_by_text("Down.").wait_for()
    assert page.locator("#groups li").count() == 0
    page.unroute("**/v1/groups")
    page.get_by_role("button", name="Try again").click()
    page.get_by_role("heading", name=everyone["group"]["name"]).first.wait_for()
    assert page.get_by_role("button", name="Try again").count() == 0


def test_an_unknown_asset_is_not_served(api):
    status, _ = api.call("GET", "/static/../app.py")
    assert status in (403, 404)
    status, _ = api.call("GET", "/static/secrets.txt")
    assert status in (403, 404)


def test_opening_an_invite_link_never_joins(api, page):
    """Link previewers fetch URLs: loading the join page shows the group but takes no seat."""
    facilitator = api.facilitator()
    group = api.group(facilitator["token"], description="We listen more than we talk.", max_members=5)

    page.goto(f"/j/{group['invite']['code']}")
    page.get_by_role("heading", name=group["name"]).wait_for()
    page.wait_for_load_state("networkidle")

    assert page.get_by_text("We listen more than we talk.").is_visible()
    seen = api.ok("GET", f"/v1/groups/{group['group_id']}", token=facilitator["token"])
    assert seen["member_count"] == 0
    assert seen["invite"]["uses"] == 0


def test_a_used_up_invite_gets_a_kind_page(api, page):
    facilitator = api.facilitator()
    group = api.group(facilitator["token"])
    invite = api.ok("POST", f"/v1/groups/{group['group_id']}/invites", {"max_uses": 1}, facilitator["token"])
    api.member(invite["code"])

    page.goto(f"/j/{invite['code']}")

    page.get_by_role("heading", name="This invite has expired").wait_for()
    assert page.get_by_text("Ask the person who shared it with you for a new one.").is_visible()
    assert page.get_by_role("button", name="Join this group").is_hidden()
    assert page.get_by_role("link", name="See open groups").is_visible()
