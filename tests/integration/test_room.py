"""The group room through the HTTP API: messages, cursors, retention, moderation and crisis safety."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from chalicelib.services.room import POST_LIMIT, POST_WINDOW_SECONDS
from tests.unit.test_crisis import NEGATIVES, POSITIVES

FACILITATOR_EMAIL = "robin.helper@example.net"


def post(api, token, group_id, body):
    return api.call("POST", f"/v1/groups/{group_id}/messages", {"body": body}, token=token)


def posted(api, clock, token, group_id, body) -> dict:
    clock.now += timedelta(seconds=1)  # distinct, ordered instants
    response = post(api, token, group_id, body)
    assert response.status_code == 201, response.body
    return response.json["message"]


def read(api, token, group_id, query=""):
    return api.call("GET", f"/v1/groups/{group_id}/messages{query}", token=token)


def alerts(api, token, group_id, query="?limit=100"):
    response = api.call("GET", f"/v1/groups/{group_id}/alerts{query}", token=token)
    assert response.status_code == 200, response.body
    return response.json["alerts"]


def audit(api, token, group_id):
    response = api.call("GET", f"/v1/groups/{group_id}/audit", token=token)
    assert response.status_code == 200, response.body
    return response.json["entries"]


@pytest.fixture
def here(world):
    return {
        "group_id": world["group_here"]["group_id"],
        "member": world["member_here"]["token"],
        "member_id": world["member_here"]["member_id"],
        "facilitator": world["facilitator_here"]["token"],
    }


# --- posting and reading -----------------------------------------------------------------


def test_member_and_facilitator_post_and_everyone_inside_reads_newest_first(api, clock, world, here):
    first = posted(api, clock, here["member"], here["group_id"], "Hello, everyone")
    second = posted(api, clock, here["facilitator"], here["group_id"], "Welcome, Quiet Otter")

    as_member = read(api, here["member"], here["group_id"])
    as_facilitator = read(api, here["facilitator"], here["group_id"])

    assert as_member.status_code == 200
    assert [m["message_id"] for m in as_member.json["messages"]] == [
        second["message_id"],
        first["message_id"],
    ]
    assert as_member.json["next"] is None
    newest, oldest = as_member.json["messages"]
    assert oldest | {"mine": None} == {
        "message_id": first["message_id"],
        "group_id": here["group_id"],
        "handle": "Quiet Otter",
        "role": "member",
        "body": "Hello, everyone",
        "created_at": "2026-11-27T12:00:01Z",
        "mine": None,
    }
    assert (oldest["mine"], newest["mine"]) == (True, False)
    assert (newest["handle"], newest["role"]) == ("Robin", "facilitator")
    assert [m["mine"] for m in as_facilitator.json["messages"]] == [True, False]


def test_the_handle_is_the_one_the_author_had_when_posting(api, clock, here):
    posted(api, clock, here["member"], here["group_id"], "before the change")
    api.call("PATCH", "/v1/me", {"handle": "Calm Heron"}, token=here["member"])
    posted(api, clock, here["member"], here["group_id"], "after the change")

    handles = [m["handle"] for m in read(api, here["member"], here["group_id"]).json["messages"]]

    assert handles == ["Calm Heron", "Quiet Otter"]


def test_pages_follow_the_cursor_without_gaps_or_repeats(api, clock, here):
    sent = [
        posted(api, clock, here["member"], here["group_id"], f"message {n}")["message_id"] for n in range(7)
    ]

    seen, pages, query = [], [], "?limit=3"
    while True:
        page = read(api, here["member"], here["group_id"], query).json
        pages.append(len(page["messages"]))
        seen += [m["message_id"] for m in page["messages"]]
        if page["next"] is None:
            break
        query = f"?limit=3&before={page['next']}"

    assert seen == list(reversed(sent))
    assert pages[:2] == [3, 3]
    assert sum(pages) == 7


def test_a_new_message_does_not_shift_the_next_page(api, clock, here):
    sent = [posted(api, clock, here["member"], here["group_id"], f"m{n}")["message_id"] for n in range(4)]
    first = read(api, here["member"], here["group_id"], "?limit=2").json

    posted(api, clock, here["member"], here["group_id"], "late arrival")
    following = read(api, here["member"], here["group_id"], f"?limit=2&before={first['next']}").json

    assert [m["message_id"] for m in following["messages"]] == [sent[1], sent[0]]


@pytest.mark.parametrize("query", ["?limit=101", "?limit=0", "?before=not-a-cursor", "?before=1%27%3B--"])
def test_bad_page_parameters_are_refused(api, here, query):
    response = read(api, here["member"], here["group_id"], query)

    assert response.status_code == 422


def test_a_body_is_plain_text_trimmed_and_free_of_control_characters(api, clock, here):
    message = posted(
        api, clock, here["member"], here["group_id"], "  <b>hi</b>\x00\u202e there\r\nnext\x07  "
    )

    assert message["body"] == "<b>hi</b> there\nnext"


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ("", 422),
        ("   \n\t ", 422),
        ("\x00\x01", 422),
        ("x" * 2000, 201),
        ("x" * 2001, 422),
        (" y " * 700, 422),
    ],
)
def test_a_body_holds_1_to_2000_characters_after_cleaning(api, here, body, status):
    response = post(api, here["member"], here["group_id"], body)

    assert response.status_code == status, response.body
    if status == 422:
        assert "body" in response.json["fields"]


def test_unknown_fields_are_refused(api, here):
    response = api.call(
        "POST", f"/v1/groups/{here['group_id']}/messages", {"body": "hi", "html": True}, token=here["member"]
    )

    assert response.status_code == 422


def test_expired_messages_are_left_out_before_dynamodb_deletes_them(api, clock, here):
    from chalicelib.store.room import MessageItem
    from chalicelib.store.tables import HearthItem

    old = posted(api, clock, here["member"], here["group_id"], "from last month")
    clock.now += timedelta(days=29, hours=23)
    recent = posted(api, clock, here["member"], here["group_id"], "from yesterday")
    clock.now += timedelta(hours=1)

    listed = read(api, here["member"], here["group_id"]).json["messages"]

    assert [m["message_id"] for m in listed] == [recent["message_id"]]
    stored = [item for item in HearthItem.scan() if isinstance(item, MessageItem)]  # test inspection only
    assert len(stored) == 2  # still in the table: only TTL deletes, later
    expiry = {item.message_id: item.expires_at - item.created_at for item in stored}
    assert expiry[old["message_id"]] == timedelta(days=30)


def test_retention_is_configurable(api, clock, here, monkeypatch):
    from chalicelib.settings import reset_settings

    monkeypatch.setenv("HEARTH_MESSAGE_RETENTION_DAYS", "2")
    reset_settings()
    posted(api, clock, here["member"], here["group_id"], "short-lived")

    clock.now += timedelta(days=1)
    assert len(read(api, here["member"], here["group_id"]).json["messages"]) == 1
    clock.now += timedelta(days=1)
    assert read(api, here["member"], here["group_id"]).json["messages"] == []


def test_posting_is_rate_limited_per_member_with_retry_after(api, clock, world, here):
    for n in range(POST_LIMIT):
        assert post(api, here["member"], here["group_id"], f"quick {n}").status_code == 201

    refused = post(api, here["member"], here["group_id"], "one too many")
    other = post(api, here["facilitator"], here["group_id"], "others may still post")

    assert refused.status_code == 429
    assert refused.json["code"] == "rate_limited"
    assert 1 <= int(refused.headers["Retry-After"]) <= POST_WINDOW_SECONDS
    assert other.status_code == 201
    clock.now += timedelta(seconds=POST_WINDOW_SECONDS)
    assert post(api, here["member"], here["group_id"], "calmer now").status_code == 201


# --- moderation --------------------------------------------------------------------------


def test_a_muted_member_can_read_but_not_post_until_the_mute_ends(api, clock, here):
    muted = api.call(
        "POST",
        f"/v1/groups/{here['group_id']}/members/{here['member_id']}/mute",
        {"minutes": 5},
        token=here["facilitator"],
    )

    refused = post(api, here["member"], here["group_id"], "let me speak")
    clock.now += timedelta(minutes=4, seconds=59)
    still = post(api, here["member"], here["group_id"], "please")
    clock.now += timedelta(seconds=1)
    allowed = post(api, here["member"], here["group_id"], "thank you")

    assert muted.status_code == 200
    assert muted.json == {"member_id": here["member_id"], "muted_until": "2026-11-27T12:05:00Z"}
    assert (refused.status_code, refused.json["code"]) == (403, "muted")
    assert "2026-11-27T12:05:00Z" in refused.json["message"]
    assert still.status_code == 403
    assert allowed.status_code == 201
    assert read(api, here["member"], here["group_id"]).status_code == 200


@pytest.mark.parametrize("minutes", [0, 10081, "ten"])
def test_mute_minutes_are_1_to_10080(api, here, minutes):
    response = api.call(
        "POST",
        f"/v1/groups/{here['group_id']}/members/{here['member_id']}/mute",
        {"minutes": minutes},
        token=here["facilitator"],
    )

    assert response.status_code == 422


def test_muting_an_unknown_or_removed_member_is_refused(api, world, callers, here):
    unknown = api.call(
        "POST",
        f"/v1/groups/{here['group_id']}/members/mem_nobody/mute",
        {"minutes": 5},
        token=here["facilitator"],
    )
    roster = api.call("GET", f"/v1/groups/{here['group_id']}/audit", token=here["facilitator"]).json
    removed_id = next(e["member_id"] for e in roster["entries"] if e["action"] == "member_removed")
    removed = api.call(
        "POST",
        f"/v1/groups/{here['group_id']}/members/{removed_id}/mute",
        {"minutes": 5},
        token=here["facilitator"],
    )

    assert unknown.status_code == 404
    assert (removed.status_code, removed.json["code"]) == (409, "not_active")


def test_each_member_reports_a_message_once_and_each_report_alerts_once(api, clock, world, here):
    message = posted(api, clock, here["facilitator"], here["group_id"], "A hard week, wasn't it")
    other = api.member(world["group_here"]["invite"]["code"], "Soft Fern")
    path = f"/v1/messages/{message['message_id']}/report"

    first = api.call("POST", path, {"reason": "off topic"}, token=here["member"])
    clock.now += timedelta(seconds=1)
    again = api.call("POST", path, {"reason": "still off topic"}, token=here["member"])
    clock.now += timedelta(seconds=1)
    by_other = api.call("POST", path, {}, token=other["token"])

    assert [first.status_code, again.status_code, by_other.status_code] == [202, 202, 202]
    assert first.json == {"message_id": message["message_id"], "status": "received", "notice": None}
    found = alerts(api, here["facilitator"], here["group_id"])
    assert [(a["kind"], a["message_id"], a["reason"]) for a in found] == [
        ("report", message["message_id"], None),
        ("report", message["message_id"], "off topic"),
    ]
    assert set(found[0]) == {
        "alert_id",
        "kind",
        "message_id",
        "created_at",
        "category",
        "reason",
        "status",
        "handled_at",
        "handled_by",
    }
    assert (found[0]["status"], found[0]["handled_at"], found[0]["handled_by"]) == ("open", None, None)


@pytest.mark.parametrize(
    "message_id", ["msg_grp_aaaaaaaaaaaaaaaa_1796212800000aaaaaa", "nonsense", "msg_GRP-X_1", "msg_grp_x_1"]
)
def test_reporting_a_message_that_does_not_exist_is_404(api, here, message_id):
    response = api.call("POST", f"/v1/messages/{message_id}/report", {}, token=here["member"])

    assert response.status_code == 404


def test_the_author_or_a_facilitator_hides_a_message_for_everyone(api, clock, world, here):
    other = api.member(world["group_here"]["invite"]["code"], "Soft Fern")
    mine = posted(api, clock, here["member"], here["group_id"], "I said too much")
    theirs = posted(api, clock, other["token"], here["group_id"], "something unkind")

    not_author = api.call("DELETE", f"/v1/messages/{theirs['message_id']}", token=here["member"])
    by_author = api.call("DELETE", f"/v1/messages/{mine['message_id']}", token=here["member"])
    clock.now += timedelta(seconds=1)
    by_facilitator = api.call("DELETE", f"/v1/messages/{theirs['message_id']}", token=here["facilitator"])
    again = api.call("DELETE", f"/v1/messages/{theirs['message_id']}", token=here["facilitator"])
    report_hidden = api.call("POST", f"/v1/messages/{mine['message_id']}/report", {}, token=other["token"])

    assert (not_author.status_code, by_author.status_code, by_facilitator.status_code) == (403, 204, 204)
    assert again.status_code == 404
    assert report_hidden.status_code == 404
    assert read(api, other["token"], here["group_id"]).json["messages"] == []
    entries = audit(api, here["facilitator"], here["group_id"])
    assert [
        (e["action"], e["actor_role"], e["actor_name"], e["handle"], e["message_id"]) for e in entries
    ] == [
        ("message_hidden", "facilitator", "Robin", "Soft Fern", theirs["message_id"]),
        ("message_hidden", "member", "Quiet Otter", "Quiet Otter", mine["message_id"]),
    ]
    assert "unkind" not in json.dumps(entries)


def test_a_facilitator_of_another_group_cannot_hide_or_see_its_messages(api, clock, world, here):
    message = posted(api, clock, here["member"], here["group_id"], "hello")
    token = world["facilitator_there"]["token"]

    assert api.call("DELETE", f"/v1/messages/{message['message_id']}", token=token).status_code == 404
    assert read(api, token, here["group_id"]).status_code == 404


def test_a_member_of_a_listed_group_elsewhere_is_forbidden_not_blind(api, world, here):
    listed_group = world["group_there"]["group_id"]

    assert read(api, here["member"], listed_group).status_code == 403
    assert post(api, here["member"], listed_group, "hi").status_code == 403


def test_removal_blocks_posting_reading_and_rejoining_and_is_audited_once(api, clock, world, here):
    path = f"/v1/groups/{here['group_id']}/members/{here['member_id']}"

    assert api.call("DELETE", path, token=here["facilitator"]).status_code == 204
    assert api.call("DELETE", path, token=here["facilitator"]).status_code == 204

    refused = post(api, here["member"], here["group_id"], "am I still here?")
    assert (refused.status_code, refused.json["code"]) == (403, "removed")
    assert read(api, here["member"], here["group_id"]).status_code == 403
    rejoin = api.join(world["group_here"]["invite"]["code"], token=here["member"])
    assert (rejoin.status_code, rejoin.json["code"]) == (403, "removed")
    entries = audit(api, here["facilitator"], here["group_id"])
    assert [(e["action"], e["member_id"], e["handle"], e["actor_name"]) for e in entries] == [
        ("member_removed", here["member_id"], "Quiet Otter", "Robin")
    ]


def test_mutes_are_audited_with_their_end(api, clock, here):
    api.call(
        "POST",
        f"/v1/groups/{here['group_id']}/members/{here['member_id']}/mute",
        {"minutes": 90},
        token=here["facilitator"],
    )

    (entry,) = audit(api, here["facilitator"], here["group_id"])

    assert entry | {"entry_id": None} == {
        "entry_id": None,
        "action": "member_muted",
        "actor_id": entry["actor_id"],
        "actor_role": "facilitator",
        "actor_name": "Robin",
        "member_id": here["member_id"],
        "handle": "Quiet Otter",
        "message_id": None,
        "muted_until": "2026-11-27T13:30:00Z",
        "alert_id": None,
        "created_at": "2026-11-27T12:00:00Z",
    }


def test_leaving_erases_the_members_messages(api, clock, world, here):
    posted(api, clock, here["member"], here["group_id"], "my story")
    kept = posted(api, clock, here["facilitator"], here["group_id"], "thank you for sharing")

    assert api.call("DELETE", "/v1/me", token=here["member"]).status_code == 204

    left = read(api, here["facilitator"], here["group_id"]).json["messages"]
    assert [m["message_id"] for m in left] == [kept["message_id"]]


# --- crisis safety -----------------------------------------------------------------------


@pytest.fixture
def staffed(api):
    """A group whose facilitator has an email address, and one member."""
    facilitator = api.create_facilitator("Robin", email=FACILITATOR_EMAIL)
    group = api.create_group(facilitator["token"], name="Evening Calm")
    member = api.member(group["invite"]["code"], "Quiet Otter")
    return {"group": group, "facilitator": facilitator, "member": member}


def test_every_phrase_in_the_crisis_table_gets_resources_exactly_when_flagged(api, clock, staffed):
    group_id, token = staffed["group"]["group_id"], staffed["member"]["token"]
    missed, over = [], []

    for text, _category in POSITIVES:
        clock.now += timedelta(seconds=POST_WINDOW_SECONDS // POST_LIMIT + 1)
        response = post(api, token, group_id, text)
        assert response.status_code == 201, response.body
        if response.json["resources"] is None:
            missed.append(text)
    for text in NEGATIVES:
        clock.now += timedelta(seconds=POST_WINDOW_SECONDS // POST_LIMIT + 1)
        response = post(api, token, group_id, text)
        assert response.status_code == 201, response.body
        if response.json["resources"] is not None:
            over.append(text)

    assert (missed, over) == ([], [])
    assert len(POSITIVES) >= 40
    assert len(NEGATIVES) >= 40
    crisis_alerts = [
        a for a in alerts(api, staffed["facilitator"]["token"], group_id) if a["kind"] == "crisis"
    ]
    assert len(crisis_alerts) == min(len(POSITIVES), 100)


def test_a_crisis_message_gets_private_resources_an_alert_without_text_and_a_neutral_notice(
    api, clock, staffed, capsys
):
    group_id = staffed["group"]["group_id"]
    text = "I don't want to be here anymore, I have a plan"

    response = post(api, staffed["member"]["token"], group_id, text)

    assert response.status_code == 201
    resources = response.json["resources"]
    hows = " ".join(r["how"] for r in resources)
    assert "988" in hows
    assert "741741" in hows
    assert "911" in hows
    # the room sees the message, never the resources
    room = read(api, staffed["facilitator"]["token"], group_id).json
    assert "resources" not in json.dumps(room)
    assert room["messages"][0]["body"] == text
    (alert,) = alerts(api, staffed["facilitator"]["token"], group_id)
    assert (alert["kind"], alert["message_id"], alert["category"]) == (
        "crisis",
        response.json["message"]["message_id"],
        "suicide",
    )
    assert "plan" not in json.dumps(alert)
    (notice,) = api.outbox(FACILITATOR_EMAIL)
    assert notice["channel"] == "email"
    assert "http://127.0.0.1:8000/f" in notice["body"]
    for secret in ("plan", "here anymore", "Evening Calm", "Quiet Otter"):
        assert secret not in notice["body"]
        assert secret not in notice["subject"]
    assert '"crisis_flags"' in capsys.readouterr().out


def test_the_alert_item_in_the_table_holds_no_text(api, clock, staffed):
    from chalicelib.store.room import AlertItem
    from chalicelib.store.tables import HearthItem

    post(api, staffed["member"]["token"], staffed["group"]["group_id"], "I want to kill myself tonight")

    (stored,) = [item for item in HearthItem.scan() if isinstance(item, AlertItem)]  # test inspection only
    assert "kill" not in json.dumps(stored.attribute_values, default=str)


def test_facilitators_are_not_emailed_again_within_ten_minutes(api, clock, staffed):
    token, group_id = staffed["member"]["token"], staffed["group"]["group_id"]

    post(api, token, group_id, "I want to die")
    clock.now += timedelta(minutes=5)
    post(api, token, group_id, "I want to die, really")
    clock.now += timedelta(minutes=6)
    post(api, token, group_id, "I still want to die")

    assert len(api.outbox(FACILITATOR_EMAIL)) == 2
    assert len(alerts(api, staffed["facilitator"]["token"], group_id)) == 3


def test_facilitator_messages_are_not_assessed(api, clock, staffed):
    group_id = staffed["group"]["group_id"]

    response = post(
        api, staffed["facilitator"]["token"], group_id, "If you want to kill yourself, call or text 988 now."
    )

    assert response.status_code == 201
    assert response.json["resources"] is None
    assert alerts(api, staffed["facilitator"]["token"], group_id) == []
    assert api.outbox(FACILITATOR_EMAIL) == []


def test_a_crisis_is_not_a_ban(api, clock, staffed):
    token, group_id = staffed["member"]["token"], staffed["group"]["group_id"]

    post(api, token, group_id, "I want to end it all")
    clock.now += timedelta(seconds=1)

    assert post(api, token, group_id, "sorry, rough night").status_code == 201
    assert api.call("GET", "/v1/me", token=token).status_code == 200


def test_a_muted_member_in_crisis_is_refused_but_still_gets_help_and_a_facilitator_is_alerted(
    api, clock, staffed
):
    group_id, member = staffed["group"]["group_id"], staffed["member"]
    api.call(
        "POST",
        f"/v1/groups/{group_id}/members/{member['member_id']}/mute",
        {"minutes": 60},
        token=staffed["facilitator"]["token"],
    )

    response = post(api, member["token"], group_id, "I am going to kill myself")

    assert (response.status_code, response.json["code"]) == (403, "muted")
    assert "988" in json.dumps(response.json["resources"])
    assert read(api, staffed["facilitator"]["token"], group_id).json["messages"] == []
    (alert,) = alerts(api, staffed["facilitator"]["token"], group_id)
    assert (alert["kind"], alert["message_id"], alert["category"]) == ("crisis", None, "suicide")
    assert len(api.outbox(FACILITATOR_EMAIL)) == 1


def test_a_rate_limited_member_in_crisis_is_refused_but_still_gets_help(api, clock, staffed):
    group_id, token = staffed["group"]["group_id"], staffed["member"]["token"]
    for n in range(POST_LIMIT):
        post(api, token, group_id, f"message {n}")

    response = post(api, token, group_id, "I want to die")
    plain = post(api, token, group_id, "just one more")

    assert response.status_code == 429
    assert response.headers["Retry-After"]
    assert "741741" in json.dumps(response.json["resources"])
    assert "resources" not in plain.json
    assert [a["message_id"] for a in alerts(api, staffed["facilitator"]["token"], group_id)] == [None]
