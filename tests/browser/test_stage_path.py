"""The web app under the API's own stage URL (`EndpointURL` is `https://…/api/`).

API Gateway serves a REST API's stage under its name: only `/api/...` reaches the app (with the
prefix removed), anything else is refused with 403. A route handler does the same in front of
the local stack, and the pages are walked the way a member and a facilitator use them: every
document, asset and API call must go through the stage path and succeed.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.browser.conftest import PHONE, _context

STAGE = "/api"
ASSETS = {"hearth.css", "hearth.js", "index.js", "join.js", "room.js", "live.js", "console.js", "qr.js"}


class StageGateway:
    """API Gateway's stage path in front of the stack: what it served and what it refused."""

    def __init__(self, origin: str) -> None:
        self.origin = origin
        self.served: list[tuple[str, str, int]] = []  # (resource type, app path, status)
        self.refused: list[str] = []

    def route(self, route: Any) -> None:
        url = route.request.url
        parts = urlsplit(url)
        if parts.scheme in ("data", "blob"):
            route.continue_()
            return
        on_stage = parts.path == STAGE or parts.path.startswith(STAGE + "/")
        if f"{parts.scheme}://{parts.netloc}" != self.origin or not on_stage:
            self.refused.append(url)
            route.fulfill(status=403, content_type="application/json", body='{"message":"Forbidden"}')
            return
        inner = parts.path[len(STAGE) :] or "/"
        response = route.fetch(url=urlunsplit((parts.scheme, parts.netloc, inner, parts.query, "")))
        self.served.append((route.request.resource_type, inner, response.status))
        route.fulfill(response=response)


@pytest.fixture
def staged(browser, stack, watch) -> Any:
    context = _context(browser, stack, watch, PHONE)
    gateway = StageGateway(stack)
    context.unroute("**/*")
    context.route("**/*", gateway.route)
    yield context, gateway
    context.close()
    assert watch.page_errors == [], f"script errors: {watch.page_errors}"
    assert watch.csp_violations == [], f"CSP violations: {watch.csp_violations}"


def test_every_page_asset_link_and_call_works_under_the_stage_path(api, staged, stack):
    """Given a listed open group with a weekly session, when a visitor opens the stage URL, follows
    the group's join link, joins and lands in the room, and a facilitator opens the console, then
    every request went through /api/ and none was refused or failed."""
    context, gateway = staged
    facilitator = api.facilitator()
    group = api.group(facilitator["token"], listed=True, access="open", name="Stage Path Circle")
    api.weekly_series(facilitator["token"], group["group_id"])
    page = context.new_page()

    page.goto(f"{stack}{STAGE}/")
    page.get_by_role("link", name="Join Stage Path Circle").click()
    page.wait_for_url(f"**{STAGE}/j/*")
    page.get_by_role("heading", name="Stage Path Circle").wait_for()
    page.get_by_role("button", name="Join this group").click()
    page.wait_for_url(f"**{STAGE}/g/{group['group_id']}")
    page.get_by_role("heading", name="Stage Path Circle").wait_for()
    page.locator("#handle").wait_for()
    page.wait_for_load_state("networkidle")
    page.get_by_role("link", name="Hearth").click()
    page.wait_for_url(f"**{STAGE}/")
    page.get_by_text("Support groups").first.wait_for()

    page.evaluate(
        "(value) => localStorage.setItem('hearth.facilitator', value)",
        json.dumps({"token": facilitator["token"]}),
    )
    page.goto(f"{stack}{STAGE}/f")
    page.get_by_text("Invite people").first.wait_for()
    page.wait_for_load_state("networkidle")

    assert gateway.refused == [], f"requests outside the stage path: {gateway.refused}"
    failed = [(kind, path, status) for kind, path, status in gateway.served if status >= 400]
    assert failed == []
    paths = {path for _kind, path, _status in gateway.served}
    assert {f"/static/{name}" for name in ASSETS} <= paths
    assert {"/", f"/g/{group['group_id']}", "/f", "/v1/join", "/v1/groups"} <= paths
    assert any(path.startswith("/j/") for path in paths)
    assert any(path.startswith(f"/v1/groups/{group['group_id']}/sessions") for path in paths)
    assert any(kind == "fetch" for kind, _path, _status in gateway.served)
