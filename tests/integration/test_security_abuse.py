"""Attacks on main, each performed as an outsider or a removed member would, and their refusal."""

from __future__ import annotations

import re

import pytest

from chalicelib.domain import sms_text
from tests.integration.test_inbound_sms import PHONE, sns_event


@pytest.fixture
def text(api):
    from chalicelib.events.sms import inbound_sms

    def deliver(body: str, number: str = PHONE) -> list[str]:
        before = len(api.outbox(number))
        inbound_sms(sns_event(body, number=number), None)
        return [m["body"] for m in api.outbox(number)[before:]]

    return deliver


def _code(api, to: str) -> str:
    return re.search(r"\b(\d{6})\b", api.outbox(to)[-1]["body"]).group(1)


def _remove(api, world, member_id: str) -> None:
    response = api.call(
        "DELETE",
        f"/v1/groups/{world['group_here']['group_id']}/members/{member_id}",
        token=world["facilitator_here"]["token"],
    )
    assert response.status_code == 204


# --- 1. verification tries ---------------------------------------------------------------


def test_a_guess_that_read_stale_tries_cannot_verify(api, world, monkeypatch):
    """Concurrent guesses each read "tries left" before any decrement landed: the right one
    arriving after five wrong ones must still find the code used up."""
    from chalicelib.services.container import services
    from chalicelib.store.members import MemberItem, MemberRepository

    token = world["member_here"]["token"]
    api.call("PUT", "/v1/me/contact", {"phone": PHONE}, token=token)
    right = _code(api, PHONE)
    stale = MemberRepository().get(world["group_here"]["group_id"], world["member_here"]["member_id"])
    stale.update(actions=[MemberItem.phone_code_tries.set(0)])  # the other guesses spent them
    stale.phone_code_tries = 5  # what this request read before they did
    monkeypatch.setattr(services().membership.members, "get", lambda *_args, **_kw: stale)

    response = api.call("POST", "/v1/me/contact/verify", {"channel": "sms", "code": right}, token=token)

    assert response.status_code == 410
    assert response.json["code"] == "code_expired"


def test_wrong_code_is_422_and_says_how_many_tries_are_left(api, world):
    token = world["member_here"]["token"]
    api.call("PUT", "/v1/me/contact", {"phone": PHONE}, token=token)
    wrong = "000000" if _code(api, PHONE) != "000000" else "111111"

    response = api.call("POST", "/v1/me/contact/verify", {"channel": "sms", "code": wrong}, token=token)

    assert response.status_code == 422
    assert "4 tries left" in response.json["fields"]["code"]


# --- 2. a removed member's phone stays out -----------------------------------------------


def _rejoin_with_phone(api, world, text) -> str:
    """A member with a verified phone is removed, joins again on the web, attaches the phone."""
    code = world["group_here"]["invite"]["code"]
    first = api.member(code, "First Try")
    api.call("PUT", "/v1/me/contact", {"phone": PHONE}, token=first["token"])
    api.call(
        "POST", "/v1/me/contact/verify", {"channel": "sms", "code": _code(api, PHONE)}, token=first["token"]
    )
    _remove(api, world, first["member_id"])
    return api.member(code, "Second Try")["token"]


def test_removed_members_phone_cannot_be_attached_again(api, world, text):
    token = _rejoin_with_phone(api, world, text)
    sent_before = len(api.outbox(PHONE))

    response = api.call("PUT", "/v1/me/contact", {"phone": PHONE}, token=token)

    assert response.status_code == 403
    assert response.json["code"] == "removed"
    assert len(api.outbox(PHONE)) == sent_before  # no code went out


def test_removed_members_phone_cannot_be_verified_on_a_new_membership(api, world):
    """The phone was attached (pending) before the removal banned it."""
    code = world["group_here"]["invite"]["code"]
    first = api.member(code, "First Try")
    second = api.member(code, "Second Try")
    api.call("PUT", "/v1/me/contact", {"phone": PHONE}, token=first["token"])
    api.call(
        "POST", "/v1/me/contact/verify", {"channel": "sms", "code": _code(api, PHONE)}, token=first["token"]
    )
    api.call("PUT", "/v1/me/contact", {"phone": PHONE}, token=second["token"])
    pending_code = _code(api, PHONE)
    _remove(api, world, first["member_id"])

    response = api.call(
        "POST", "/v1/me/contact/verify", {"channel": "sms", "code": pending_code}, token=second["token"]
    )

    assert response.status_code == 403
    assert response.json["code"] == "removed"


def test_join_by_text_from_a_banned_phone_with_another_membership_gets_no_link(api, world, text):
    code = world["group_here"]["invite"]["code"]
    first = api.member(code, "First Try")
    second = api.member(code, "Second Try")
    for member in (first, second):
        api.call("PUT", "/v1/me/contact", {"phone": PHONE}, token=member["token"])
        api.call(
            "POST",
            "/v1/me/contact/verify",
            {"channel": "sms", "code": _code(api, PHONE)},
            token=member["token"],
        )
    _remove(api, world, first["member_id"])

    replies = text(f"JOIN {code}")

    assert replies == [sms_text.REMOVED_REPLY]
    assert not any("#login=" in reply for reply in replies)


# --- 3. guessing invite codes and filling groups -----------------------------------------


@pytest.fixture
def address(monkeypatch):
    """Choose the client address the gateway reports (`requestContext.identity.sourceIp`)."""
    from chalice.local import LambdaEventConverter

    def use(ip: str) -> None:
        monkeypatch.setattr(LambdaEventConverter, "LOCAL_SOURCE_IP", ip)

    return use


def _guesses(n: int) -> list[str]:
    from chalicelib.domain.invites import ALPHABET

    return [f"Z{ALPHABET[index // 31]}{ALPHABET[index % 31]}ZZZZZ" for index in range(n)]


def test_guessing_invite_codes_from_one_address_is_throttled_even_for_a_right_code(
    api, world, address
):
    from chalicelib.services import throttle

    address("198.51.100.7")
    statuses = [api.call("GET", f"/v1/invites/{code}").status_code for code in _guesses(25)]
    right = api.call("GET", f"/v1/invites/{world['group_here']['invite']['code']}")
    joined = api.join(world["group_here"]["invite"]["code"])

    assert statuses[: throttle.WRONG_CODES_PER_ADDRESS - 1] == [404] * (throttle.WRONG_CODES_PER_ADDRESS - 1)
    assert set(statuses[throttle.WRONG_CODES_PER_ADDRESS :]) == {429}
    assert right.status_code == 429  # a guesser cannot tell a hit from a miss
    assert joined.status_code == 429
    assert right.json["code"] == "rate_limited" and right.json["message"]
    assert 1 <= int(right.headers["Retry-After"]) <= 3600

    address("203.0.113.9")  # another address is not affected
    assert api.call("GET", f"/v1/invites/{world['group_here']['invite']['code']}").status_code == 200


def test_wrong_codes_through_join_count_too(api, world, address):
    from chalicelib.services import throttle

    address("198.51.100.8")
    statuses = [api.join(code).status_code for code in _guesses(throttle.WRONG_CODES_PER_ADDRESS + 1)]

    assert statuses[-1] == 429
    assert statuses[0] == 404


def test_guessing_one_prefix_from_many_addresses_is_throttled(api, world, address, monkeypatch):
    from chalicelib.services import throttle

    monkeypatch.setattr(throttle, "WRONG_CODES_PER_PREFIX", 5)
    statuses = []
    for index, code in enumerate(_guesses(8)):  # every guess starts with "ZA"
        address(f"198.51.100.{index + 20}")
        statuses.append(api.call("GET", f"/v1/invites/{code}").status_code)

    assert statuses[:4] == [404] * 4
    assert set(statuses[5:]) == {429}


def test_joins_from_one_address_into_one_group_are_throttled_but_a_clinic_fits(api, world, address):
    from chalicelib.services import throttle

    address("192.0.2.44")  # a clinic: every member shares this address
    code = world["group_there"]["join_code"]
    statuses = [api.join(code).status_code for _ in range(throttle.JOINS_PER_ADDRESS_PER_GROUP + 1)]

    assert statuses[:-1] == [201] * throttle.JOINS_PER_ADDRESS_PER_GROUP
    assert statuses[-1] == 429
    assert api.join(world["group_here"]["invite"]["code"]).status_code == 201  # another group: fine
    address("192.0.2.45")
    assert api.join(code).status_code == 201


# --- 4. a removed member's RSVPs are released ---------------------------------------------


def test_removing_a_member_frees_their_seat_and_promotes_the_waitlist(api, world):
    facilitator = world["facilitator_here"]["token"]
    series = api.create_series(
        facilitator,
        world["group_here"]["group_id"],
        capacity=1,
        rrule="FREQ=WEEKLY;BYDAY=WE",
        start_local="2026-12-02T10:00",
    )
    session_id = series["next_sessions"][0]["session_id"]
    waiting = api.member(world["group_here"]["invite"]["code"], "Patient One")
    api.call("PUT", f"/v1/sessions/{session_id}/rsvp", token=world["member_here"]["token"])
    api.call("PUT", f"/v1/sessions/{session_id}/rsvp", token=waiting["token"])

    _remove(api, world, world["member_here"]["member_id"])

    view = api.call("GET", f"/v1/sessions/{session_id}", token=waiting["token"]).json
    assert (view["my_rsvp"], view["going"], view["waitlisted"]) == ("going", 1, 0)


def test_removing_a_waitlisted_member_gives_up_their_place(api, world):
    facilitator = world["facilitator_here"]["token"]
    series = api.create_series(
        facilitator, world["group_here"]["group_id"], capacity=1, rrule="FREQ=WEEKLY;BYDAY=WE",
        start_local="2026-12-02T10:00",
    )
    session_id = series["next_sessions"][0]["session_id"]
    first = api.member(world["group_here"]["invite"]["code"], "Seat Holder")
    api.call("PUT", f"/v1/sessions/{session_id}/rsvp", token=first["token"])
    api.call("PUT", f"/v1/sessions/{session_id}/rsvp", token=world["member_here"]["token"])

    _remove(api, world, world["member_here"]["member_id"])

    view = api.call("GET", f"/v1/sessions/{session_id}", token=first["token"]).json
    assert (view["going"], view["waitlisted"]) == (1, 0)
