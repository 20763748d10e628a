"""Live room updates: the WebSocket handlers invoked with API Gateway-shaped events.

Pushes go through moto's API Gateway Management API; GoneException and hang-ups are
checked with botocore's Stubber on the pusher's client.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any
from urllib.parse import quote

import pytest

API_ID = "hearthws01"
STAGE = "api"
DOMAIN = f"{API_ID}.execute-api.us-east-1.amazonaws.com"


def ws_event(
    route_key: str, connection_id: str, query: dict[str, str] | None = None, body: str | None = None
):
    """An API Gateway WebSocket proxy event, as Lambda receives it."""
    kind = {"$connect": "CONNECT", "$disconnect": "DISCONNECT", "$default": "MESSAGE"}[route_key]
    context: dict[str, Any] = {
        "routeKey": route_key,
        "eventType": kind,
        "extendedRequestId": "Q1jY8FvMoAMF3bA=",
        "requestTime": "27/Nov/2026:12:00:00 +0000",
        "messageDirection": "IN",
        "stage": STAGE,
        "connectedAt": 1795780800000,
        "requestTimeEpoch": 1795780800123,
        "identity": {"userAgent": "Mozilla/5.0", "sourceIp": "203.0.113.7"},
        "requestId": "Q1jY8HJpIAMFbVg=",
        "domainName": DOMAIN,
        "connectionId": connection_id,
        "apiId": API_ID,
    }
    event: dict[str, Any] = {"requestContext": context, "isBase64Encoded": False}
    if route_key == "$connect":
        headers = {
            "Host": DOMAIN,
            "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
            "Sec-WebSocket-Version": "13",
            "X-Forwarded-For": "203.0.113.7",
            "X-Forwarded-Port": "443",
            "X-Forwarded-Proto": "https",
        }
        event["headers"] = headers
        event["multiValueHeaders"] = {name: [value] for name, value in headers.items()}
        if query:
            event["queryStringParameters"] = query
            event["multiValueQueryStringParameters"] = {name: [value] for name, value in query.items()}
    elif route_key == "$disconnect":
        context.update(disconnectStatusCode=1001, disconnectReason="Going away")
        event["headers"] = {"Host": DOMAIN, "x-api-key": "", "X-Forwarded-For": "", "x-restapi": ""}
    else:
        context["messageId"] = "Q1jZfd2RoAMCJtw="
        event["body"] = body
    return event


def invoke(api, name: str, event: dict[str, Any]) -> dict[str, Any]:
    return api.client.lambda_.invoke(name, event).payload


def connect(api, connection_id: str, token: str | None, group_id: str | None = None) -> int:
    query = {} if token is None else {"token": token}
    if group_id:
        query["group_id"] = group_id
    return invoke(api, "room_connect", ws_event("$connect", connection_id, query or None))["statusCode"]


def pushed(connection_id: str) -> list[dict[str, Any]]:
    """Every frame moto received for a connection (it concatenates their data)."""
    from moto.apigatewaymanagementapi.models import apigatewaymanagementapi_backends
    from moto.core import DEFAULT_ACCOUNT_ID

    connections = apigatewaymanagementapi_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].connections
    found = connections.get(quote(connection_id, safe=""))  # moto keeps the id as it was in the URL
    text, frames, decoder = (found.data.decode() if found else ""), [], json.JSONDecoder()
    while text:
        frame, end = decoder.raw_decode(text)
        frames.append(frame)
        text = text[end:]
    return frames


def post(api, token: str, group_id: str, body: str):
    response = api.call("POST", f"/v1/groups/{group_id}/messages", {"body": body}, token=token)
    assert response.status_code == 201, response.body
    return response.json["message"]


def registry(group_id: str) -> set[str]:
    from chalicelib.store import keys
    from chalicelib.store.room import RoomRepository

    live = RoomRepository().fetch([keys.live_room(group_id)]).get(keys.live_room(group_id))
    return set(getattr(live, "connections", None) or ())


class OneClient:
    """A stand-in boto3 session whose only client is the stubbed one."""

    def __init__(self, client: Any) -> None:
        self.client_made = client

    def client(self, service_name: str, endpoint_url: str | None = None) -> Any:
        assert service_name == "apigatewaymanagementapi"
        assert endpoint_url == f"https://{DOMAIN}/{STAGE}"
        return self.client_made


@pytest.fixture
def stubbed():
    """The pusher's API Gateway client, under botocore's Stubber."""
    import botocore.session
    from botocore.stub import Stubber

    from chalicelib.notify.live import WebsocketPusher
    from chalicelib.services.container import services

    client = botocore.session.get_session().create_client(
        "apigatewaymanagementapi", region_name="us-east-1", endpoint_url=f"https://{DOMAIN}/{STAGE}"
    )
    services().live.pusher = WebsocketPusher(session=OneClient(client))
    with Stubber(client) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()


@pytest.fixture
def here(world):
    return {
        "group_id": world["group_here"]["group_id"],
        "member": world["member_here"]["token"],
        "member_id": world["member_here"]["member_id"],
        "facilitator": world["facilitator_here"]["token"],
    }


def test_connected_members_and_facilitators_receive_new_messages_with_their_own_mine(api, world, here):
    other = api.member(world["group_here"]["invite"]["code"], "Soft Fern")
    assert connect(api, "member-conn=", here["member"]) == 200
    assert connect(api, "author-conn=", other["token"]) == 200
    assert connect(api, "staff-conn=", here["facilitator"], here["group_id"]) == 200
    assert connect(api, "elsewhere-conn=", world["member_there"]["token"]) == 200

    message = post(api, other["token"], here["group_id"], "Is anyone around tonight?")

    (to_member,) = pushed("member-conn=")
    assert to_member == {"type": "message", "message": message | {"mine": False}}
    assert pushed("staff-conn=") == [to_member]
    assert pushed("author-conn=") == [{"type": "message", "message": message | {"mine": True}}]
    assert pushed("elsewhere-conn=") == []


def test_crisis_resources_are_never_pushed(api, here):
    connect(api, "member-conn=", here["member"])

    response = api.call(
        "POST", f"/v1/groups/{here['group_id']}/messages", {"body": "I want to die"}, token=here["member"]
    )

    assert response.json["resources"]
    (frame,) = pushed("member-conn=")
    assert "resources" not in json.dumps(frame)
    assert "988" not in json.dumps(frame)


def test_a_hidden_message_is_pushed_as_hidden(api, here):
    message = post(api, here["member"], here["group_id"], "oops, wrong room")
    connect(api, "staff-conn=", here["facilitator"], here["group_id"])

    api.call("DELETE", f"/v1/messages/{message['message_id']}", token=here["member"])

    assert pushed("staff-conn=") == [{"type": "message_hidden", "message_id": message["message_id"]}]


@pytest.mark.parametrize(
    ("who", "group", "status"),
    [
        ("anonymous", None, 401),
        ("bad_token", None, 401),
        ("removed_member", None, 403),
        ("member_here", "group_there", 403),
        ("facilitator_here", None, 422),
        ("facilitator_elsewhere", "group_here", 404),
        ("admin", "group_here", 403),
    ],
)
def test_a_refused_connection_is_not_opened(api, world, callers, here, who, group, status):
    token = "hm_not-a-real-token" if who == "bad_token" else callers[who]
    group_id = world[group]["group_id"] if group else None

    assert connect(api, "refused-conn=", token, group_id) == status

    post(api, here["facilitator"], here["group_id"], "hello")
    assert pushed("refused-conn=") == []
    assert registry(here["group_id"]) == set()


def test_disconnect_forgets_the_connection(api, here):
    from chalicelib.store.room import RoomRepository

    connect(api, "member-conn=", here["member"])
    assert len(registry(here["group_id"])) == 1

    assert invoke(api, "room_disconnect", ws_event("$disconnect", "member-conn="))["statusCode"] == 200
    assert invoke(api, "room_disconnect", ws_event("$disconnect", "member-conn="))["statusCode"] == 200

    post(api, here["facilitator"], here["group_id"], "anyone?")
    assert pushed("member-conn=") == []
    assert registry(here["group_id"]) == set()
    assert RoomRepository().connection("member-conn=") is None


def test_client_messages_are_accepted_and_ignored(api, here):
    connect(api, "member-conn=", here["member"])

    reply = invoke(api, "room_message", ws_event("$default", "member-conn=", body='{"type":"ping"}'))

    assert reply["statusCode"] == 200
    assert pushed("member-conn=") == []


def test_connections_older_than_api_gateways_limit_are_not_pushed_to(api, clock, here):
    connect(api, "member-conn=", here["member"])

    clock.now += timedelta(hours=2, minutes=6)
    post(api, here["facilitator"], here["group_id"], "good morning")

    assert pushed("member-conn=") == []


def test_a_gone_connection_is_forgotten(api, here, stubbed):
    from botocore.stub import ANY

    connect(api, "gone-conn=", here["member"])
    stubbed.add_client_error(
        "post_to_connection",
        service_error_code="GoneException",
        http_status_code=410,
        expected_params={"ConnectionId": "gone-conn=", "Data": ANY},
    )

    post(api, here["facilitator"], here["group_id"], "first")
    post(api, here["facilitator"], here["group_id"], "second")  # no stubbed response left: nothing is sent

    assert registry(here["group_id"]) == set()


def test_other_push_failures_do_not_fail_the_post(api, here, stubbed):
    connect(api, "slow-conn=", here["member"])
    stubbed.add_client_error(
        "post_to_connection", service_error_code="LimitExceededException", http_status_code=429
    )

    post(api, here["facilitator"], here["group_id"], "still posted")

    assert registry(here["group_id"]) != set()  # not gone: kept for the next push


def test_a_removed_member_is_hung_up(api, here, stubbed):
    connect(api, "member-conn=", here["member"])
    connect(api, "staff-conn=", here["facilitator"], here["group_id"])
    stubbed.add_response("delete_connection", {}, {"ConnectionId": "member-conn="})

    removal = api.call(
        "DELETE", f"/v1/groups/{here['group_id']}/members/{here['member_id']}", token=here["facilitator"]
    )

    assert removal.status_code == 204
    assert [entry.split("|")[0] for entry in registry(here["group_id"])] == ["staff-conn="]


def test_a_member_who_leaves_is_hung_up(api, here, stubbed):
    connect(api, "member-conn=", here["member"])
    stubbed.add_response("delete_connection", {}, {"ConnectionId": "member-conn="})

    assert api.call("DELETE", "/v1/me", token=here["member"]).status_code == 204

    assert registry(here["group_id"]) == set()


def test_pages_learn_the_sockets_url_from_the_app(api, monkeypatch):
    from chalicelib.settings import reset_settings

    assert api.call("GET", "/v1/live").json == {"url": None}

    monkeypatch.setenv("HEARTH_WEBSOCKET_URL", f"wss://{DOMAIN}/{STAGE}")
    reset_settings()

    assert api.call("GET", "/v1/live").json == {"url": f"wss://{DOMAIN}/{STAGE}"}


def test_pushes_go_to_the_local_gateway_when_it_is_configured(api, here, monkeypatch):
    """`make run` points the management client at its gateway instead of execute-api."""
    import botocore.session
    from botocore.stub import ANY, Stubber

    from chalicelib.notify.live import WebsocketPusher
    from chalicelib.services.container import services
    from chalicelib.settings import reset_settings

    monkeypatch.setenv("HEARTH_WEBSOCKET_MANAGEMENT_URL", "http://127.0.0.1:8002/api/")
    reset_settings()
    local = "http://127.0.0.1:8002/api"
    client = botocore.session.get_session().create_client(
        "apigatewaymanagementapi", region_name="us-east-1", endpoint_url=local
    )

    class LocalSession:
        def client(self, service_name: str, endpoint_url: str | None = None) -> Any:
            assert (service_name, endpoint_url) == ("apigatewaymanagementapi", local)
            return client

    services().live.pusher = WebsocketPusher(session=LocalSession())
    connect(api, "local-conn=", here["member"])
    with Stubber(client) as stubber:
        stubber.add_response("post_to_connection", {}, {"ConnectionId": "local-conn=", "Data": ANY})
        post(api, here["facilitator"], here["group_id"], "hello from the stack")
        stubber.assert_no_pending_responses()


def test_the_local_gateway_sends_api_gateways_event_shape():
    """The local gateway's events carry every field of API Gateway's (as `ws_event` has them)."""
    from datetime import UTC, datetime

    from scripts.local_gateway import Connection, LocalGateway

    gateway = LocalGateway(app_module=None, port=8001)  # type: ignore[arg-type]
    now = datetime.now(UTC)
    connection = Connection("Q1jY8FvMoAMCJtw=", None, now, "127.0.0.1", "Mozilla/5.0", now)  # type: ignore[arg-type]
    built = {
        "$connect": gateway._event("$connect", connection, headers={}, multiValueHeaders={}),
        "$default": gateway._event("$default", connection, body="{}", context={"messageId": "m"}),
        "$disconnect": gateway._event(
            "$disconnect",
            connection,
            headers={},
            context={"disconnectStatusCode": 1000, "disconnectReason": ""},
        ),
    }
    for route_key, event in built.items():
        reference = ws_event(
            route_key, "Q1jY8FvMoAMCJtw=", {"token": "t"} if route_key == "$connect" else None
        )
        assert set(event) == set(reference) - {"queryStringParameters", "multiValueQueryStringParameters"}
        assert set(event["requestContext"]) == set(reference["requestContext"]), route_key
        assert event["requestContext"]["routeKey"] == route_key
        assert event["requestContext"]["eventType"] == reference["requestContext"]["eventType"]
        assert event["requestContext"]["stage"] == "api"
