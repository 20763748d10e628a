"""Crisis help for where the member is: their country's lines, and the writer told of the alert."""

from __future__ import annotations

import json

import pytest

CRISIS = "I want to end my life"


def _post(api, token, group_id, body=CRISIS):
    return api.call("POST", f"/v1/groups/{group_id}/messages", {"body": body}, token=token)


@pytest.fixture
def berlin(api, world):
    joined = api.join(world["group_here"]["invite"]["code"], "Linden Wren", timezone="Europe/Berlin")
    assert joined.status_code == 201, joined.body
    return joined.json


def test_a_member_in_berlin_gets_german_lines_that_a_phone_can_tap_and_is_told_of_the_alert(
    api, world, berlin
):
    assert api.call("GET", "/v1/me", token=berlin["token"]).json["country"] == "DE"

    response = _post(api, berlin["token"], world["group_here"]["group_id"])

    assert response.status_code == 201
    assert response.json["alerted"] is True
    resources = response.json["resources"]
    assert resources[0]["name"] == "TelefonSeelsorge"
    assert resources[0]["tel"] == "tel:08001110111"
    assert resources[-1]["tel"] == "tel:112"
    assert "988" not in json.dumps(resources)


def test_a_chosen_country_wins_over_the_time_zone(api, world, berlin):
    changed = api.call("PATCH", "/v1/me", {"country": "gb"}, token=berlin["token"])

    assert changed.status_code == 200
    assert changed.json["country"] == "GB"
    assert changed.json["timezone"] == "Europe/Berlin"
    resources = _post(api, berlin["token"], world["group_here"]["group_id"]).json["resources"]
    assert resources[0]["tel"] == "tel:116123"


@pytest.mark.parametrize("country", ["XX", "DEU", "1A", ""])
def test_a_country_that_is_not_a_code_is_422(api, berlin, country):
    refused = api.call("PATCH", "/v1/me", {"country": country}, token=berlin["token"])

    assert refused.status_code == 422
    assert refused.json["code"] in ("invalid", "validation_error", "invalid_request")


def test_a_us_member_keeps_988_741741_and_911(api, world):
    response = _post(api, world["member_here"]["token"], world["group_here"]["group_id"])

    hows = [r["how"] for r in response.json["resources"]]
    assert hows == ["Call or text 988", "Text HOME to 741741", "Call 911"]
    assert response.json["resources"][0]["sms"] == "sms:988"


def test_a_member_without_a_country_gets_the_international_directory(api, world):
    joined = api.join(world["group_here"]["invite"]["code"], "Drift Cloud", timezone="UTC").json

    assert api.call("GET", "/v1/me", token=joined["token"]).json["country"] is None
    resources = _post(api, joined["token"], world["group_here"]["group_id"]).json["resources"]
    assert resources[0]["url"] == "https://findahelpline.com/"


def test_an_ordinary_post_alerts_nobody(api, world):
    response = _post(api, world["member_here"]["token"], world["group_here"]["group_id"], "Hello all")

    assert response.json["alerted"] is False
    assert response.json["resources"] is None


def test_a_muted_member_in_berlin_still_gets_german_lines_and_is_told_of_the_alert(api, world, berlin):
    group_id = world["group_here"]["group_id"]
    api.call(
        "POST",
        f"/v1/groups/{group_id}/members/{berlin['member_id']}/mute",
        {"minutes": 60},
        token=world["facilitator_here"]["token"],
    )
    me = api.call("GET", "/v1/me", token=berlin["token"]).json
    assert me["muted_until"].endswith("Z")

    refused = _post(api, berlin["token"], group_id)

    assert refused.status_code == 403
    assert refused.json["alerted"] is True
    assert refused.json["resources"][0]["name"] == "TelefonSeelsorge"


def test_texting_crisis_words_to_the_hearth_number_answers_with_the_same_help(api, world):
    from chalicelib.events.sms import inbound_sms
    from tests.integration.test_inbound_sms import sns_event

    number = "+16145550188"
    inbound_sms(sns_event("hello?", number=number), None)  # spends the once-a-day help reply
    inbound_sms(sns_event("i want to kill myself", number=number), None)

    replies = [m["body"] for m in api.outbox(number)]
    assert len(replies) == 2
    assert "988" in replies[1]
    assert "911" in replies[1]
    assert "Tuesday Circle" not in replies[1]
