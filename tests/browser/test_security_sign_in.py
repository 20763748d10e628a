"""Someone else's SMS sign-in link does not quietly replace this browser's membership."""

from __future__ import annotations

import json
import re

from tests.browser.test_member import circle  # noqa: F401  (the fixture)


def test_a_sign_in_link_tells_and_offers_to_keep_the_current_sign_in(api, circle, page):  # noqa: F811
    group_id = circle["group"]["group_id"]
    mine = api.member(circle["group"]["invite"]["code"], "Calm Heron")
    page.goto(f"{api.base}/")
    stored = {"token": mine["token"], "member_id": mine["member_id"], "handle": mine["handle"]}
    page.evaluate(
        "([gid, v]) => localStorage.setItem('hearth.member.' + gid, v)", [group_id, json.dumps(stored)]
    )
    replies = api.ok(
        "POST", "/v1/dev/sms", {"from": "+16145550177", "body": f"JOIN {circle['group']['invite']['code']}"}
    )
    link = re.search(r"(/g/\S+#login=\S+)", replies["replies"][0]).group(1)

    page.goto(f"{api.base}{link}")
    page.get_by_text("already signed in to this group as").wait_for()
    assert page.get_by_text("Calm Heron").is_visible()
    page.get_by_role("button", name="Keep my current sign-in").click()
    page.get_by_text("You're here as").wait_for()

    kept = json.loads(page.evaluate("(gid) => localStorage.getItem('hearth.member.' + gid)", group_id))
    assert kept["token"] == mine["token"]
    assert api.call("POST", "/v1/login", {"login": link.split("#login=")[1]})[0] == 200  # not spent
