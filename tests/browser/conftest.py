"""Browser tests: Debian's chromium, driven by Playwright, against `make run`'s local stack.

The stack is started once per test run on a free port with `HEARTH_DEMO=0`; tests create
their data through the API with the admin token. Every page a test opens goes through a route
handler that refuses (and records) any request off the stack's origin, and a test fails if a
page logs a CSP violation or throws.

Chromium is never downloaded by Playwright: `make test` installs Debian's package when it is
missing (`make chromium`), and the tests launch `/usr/bin/chromium`.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import pytest

from tests.conftest import ROOT
from tests.running_stack import ADMIN_TOKEN, Stack, request, running_stack

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--headless",
]
SCREENSHOTS = ROOT / "docs" / "screenshots"
PHONE = {"width": 360, "height": 780}
DESKTOP = {"width": 1280, "height": 900}


class Api:
    """JSON over HTTP to the running stack."""

    def __init__(self, base: str) -> None:
        self.base = base

    def call(self, method: str, path: str, body: Any = None, token: str | None = None) -> tuple[int, Any]:
        return request(method, self.base + path, body, token)

    def ok(self, method: str, path: str, body: Any = None, token: str | None = None) -> Any:
        status, answer = self.call(method, path, body, token)
        assert 200 <= status < 300, (method, path, status, answer)
        return answer

    def facilitator(self, name: str = "Robin") -> dict[str, Any]:
        return self.ok("POST", "/v1/admin/facilitators", {"display_name": name}, ADMIN_TOKEN)

    def group(self, facilitator_token: str, **fields: Any) -> dict[str, Any]:
        body = {"name": "Tuesday Circle", "topic": "anxiety", "timezone": "America/New_York"} | fields
        return self.ok("POST", "/v1/groups", body, facilitator_token)

    def weekly_series(self, facilitator_token: str, group_id: str) -> dict[str, Any]:
        """A weekly 19:00 New York session, the first one two days from now."""
        body = {
            "start_local": (datetime.now(UTC) + timedelta(days=2)).strftime("%Y-%m-%dT19:00"),
            "timezone": "America/New_York",
            "duration_minutes": 60,
            "rrule": "FREQ=WEEKLY",
        }
        return self.ok("POST", f"/v1/groups/{group_id}/series", body, facilitator_token)

    def member(self, code: str, handle: str | None = None) -> dict[str, Any]:
        return self.ok("POST", "/v1/join", {"code": code} | ({"handle": handle} if handle else {}))

    def outbox(self, to: str) -> list[dict[str, Any]]:
        return self.ok("GET", f"/v1/dev/outbox?to={quote(to)}")["messages"]


@pytest.fixture(scope="session")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """`scripts/local_stack.py` on free ports, as `make run` starts it."""
    with running_stack(tmp_path_factory.mktemp("browser-stack") / "outbox.jsonl") as started:
        yield started


@pytest.fixture(scope="session")
def stack(running: Stack) -> str:
    """The stack's base URL (the pages' origin)."""
    return running.base


@pytest.fixture(scope="session")
def live_url(running: Stack) -> str:
    """The stack's WebSocket gateway, where the room pages connect."""
    return running.live_url


@pytest.fixture(scope="session")
def api(stack: str) -> Api:
    return Api(stack)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make chromium` (as root: apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@dataclass
class Watch:
    """What the pages of one test did that they must not: leave the origin, break the CSP, throw."""

    origin: str
    off_origin: list[str] = field(default_factory=list)
    csp_violations: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    allowed_off_origin: set[str] = field(default_factory=set)

    def route(self, route: Any) -> None:
        url = route.request.url
        self.requests.append(url)
        parts = urlsplit(url)
        if parts.scheme in ("data", "blob") or f"{parts.scheme}://{parts.netloc}" == self.origin:
            route.continue_()
            return
        if url not in self.allowed_off_origin:
            self.off_origin.append(url)
        route.abort()

    def console(self, message: Any) -> None:
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            self.csp_violations.append(message.text)


@pytest.fixture
def watch(stack: str) -> Watch:
    return Watch(origin=stack)


def _context(browser: Any, stack: str, watch: Watch, viewport: dict[str, int]) -> Any:
    context = browser.new_context(
        viewport=viewport,
        base_url=stack,
        locale="en-US",
        timezone_id="America/New_York",
        reduced_motion="reduce",
    )
    context.set_default_timeout(15_000)
    context.route("**/*", watch.route)
    context.on("console", watch.console)
    context.on("weberror", lambda error: watch.page_errors.append(str(error.error)))
    return context


@pytest.fixture
def new_page(browser: Any, stack: str, watch: Watch) -> Iterator[Any]:
    """new_page(viewport=PHONE) -> a page in a fresh context (its own localStorage)."""
    contexts: list[Any] = []

    def make(viewport: dict[str, int] | None = None) -> Any:
        context = _context(browser, stack, watch, viewport or PHONE)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()
    assert watch.off_origin == [], f"requests left the origin: {watch.off_origin}"
    assert watch.csp_violations == [], f"CSP violations: {watch.csp_violations}"
    assert watch.page_errors == [], f"script errors: {watch.page_errors}"


@pytest.fixture
def page(new_page: Any) -> Any:
    return new_page(PHONE)


def screenshot(page: Any, name: str, tmp_path: Path, until: str | None = None) -> Path:
    """Saves a screenshot of the page from its top (down to the bottom of `until`, else all of it);
    with HEARTH_SCREENSHOTS=1 (`make screenshots`) also into docs/screenshots/ for the README."""
    path = tmp_path / f"{name}.png"
    page.wait_for_load_state("networkidle")
    page.evaluate("window.scrollTo(0, 0)")
    options: dict[str, Any] = {"full_page": True, "animations": "disabled", "caret": "hide"}
    if until is not None:
        bottom = page.evaluate(
            "(selector) => document.querySelector(selector).getBoundingClientRect().bottom + window.scrollY",
            until,
        )
        width = page.viewport_size["width"]
        options["clip"] = {"x": 0, "y": 0, "width": width, "height": int(bottom) + 16}
    page.screenshot(path=str(path), **options)
    if os.environ.get("HEARTH_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, SCREENSHOTS / f"{name}.png")
    return path


def code_in(text: str) -> str:
    found = re.search(r"\b(\d{6})\b", text)
    assert found, text
    return found.group(1)
