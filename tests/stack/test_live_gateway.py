"""The room's live path on `make run`'s stack, through a real WebSocket client (`websockets`).

The local gateway calls the app's own WebSocket handlers and serves `@connections`; the
app's push code reaches it through boto3. The group's connection registry is read from
the stack's own table, behind the API.
"""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import quote

import boto3
import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from chalicelib.domain.room import LiveConnection
from chalicelib.store import keys
from chalicelib.store.room import encode_connection
from tests.running_stack import ADMIN_TOKEN, Stack, running_stack

TABLE = "hearth-local"
WAIT = 15  # seconds a frame or a close may take to arrive before the test gives up


@pytest.fixture(scope="module")
def stack(tmp_path_factory) -> Any:
    with running_stack(tmp_path_factory.mktemp("live") / "outbox.jsonl") as running:
        yield running


def _ok(stack: Stack, method: str, path: str, body: Any = None, token: str | None = None) -> Any:
    status, answer = stack.call(method, path, body, token)
    assert 200 <= status < 300, (method, path, status, answer)
    return answer


@pytest.fixture
def room(stack: Stack) -> dict[str, Any]:
    """A group, its facilitator and two members."""
    facilitator = _ok(stack, "POST", "/v1/admin/facilitators", {"display_name": "Robin"}, ADMIN_TOKEN)
    group = _ok(
        stack,
        "POST",
        "/v1/groups",
        {"name": "Live Circle", "topic": "sleep", "timezone": "UTC"},
        facilitator["token"],
    )
    first = _ok(stack, "POST", "/v1/join", {"code": group["invite"]["code"], "handle": "Calm Heron"})
    second = _ok(stack, "POST", "/v1/join", {"code": group["invite"]["code"], "handle": "Bright Finch"})
    return {
        "group_id": group["group_id"],
        "facilitator": facilitator["token"],
        "first": first,
        "second": second,
    }


def _open(stack: Stack, token: str, **params: str) -> ClientConnection:
    query = "&".join(f"{name}={quote(value)}" for name, value in {"token": token, **params}.items())
    return connect(f"{stack.live_url}?{query}", open_timeout=WAIT)


def _table(stack: Stack) -> Any:
    return boto3.client("dynamodb", endpoint_url=stack.emulator_url, region_name="us-east-1")


def registry(stack: Stack, group_id: str) -> set[str]:
    key = keys.live_room(group_id)
    item = _table(stack).get_item(TableName=TABLE, Key={"pk": {"S": key.pk}, "sk": {"S": key.sk}}).get("Item")
    return set((item or {}).get("connections", {}).get("SS", []))


def _until(condition: Any, what: str) -> None:
    """Wait for a condition the stack reaches asynchronously (a socket's close is followed by $disconnect)."""
    deadline = time.monotonic() + WAIT
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.1)


def _frame(socket: ClientConnection) -> dict[str, Any]:
    return json.loads(socket.recv(timeout=WAIT))


def test_the_app_says_where_the_socket_is(stack):
    assert stack.call("GET", "/v1/live") == (200, {"url": stack.live_url})


def test_a_member_receives_posts_and_hides_over_a_real_websocket(stack, room):
    with _open(stack, room["first"]["token"]) as socket:
        _until(lambda: len(registry(stack, room["group_id"])) == 1, "the connection was never registered")

        posted = _ok(
            stack,
            "POST",
            f"/v1/groups/{room['group_id']}/messages",
            {"body": "Anyone here?"},
            room["second"]["token"],
        )["message"]
        assert _frame(socket) == {"type": "message", "message": posted | {"mine": False}}

        _ok(stack, "DELETE", f"/v1/messages/{posted['message_id']}", token=room["second"]["token"])
        assert _frame(socket) == {"type": "message_hidden", "message_id": posted["message_id"]}


@pytest.mark.parametrize("token", ["hm_not-a-real-token", ""])
def test_a_bad_token_is_refused_at_the_handshake(stack, room, token):
    with pytest.raises(InvalidStatus) as refused:
        _open(stack, token)

    assert refused.value.response.status_code == 401
    assert registry(stack, room["group_id"]) == set()


def test_a_member_token_cannot_follow_another_group(stack, room):
    with pytest.raises(InvalidStatus) as refused:
        _open(stack, room["first"]["token"], group_id="grp_elsewhere")

    assert refused.value.response.status_code == 403


def test_a_closed_socket_is_forgotten(stack, room):
    with _open(stack, room["first"]["token"]):
        _until(lambda: len(registry(stack, room["group_id"])) == 1, "the connection was never registered")

    _until(lambda: registry(stack, room["group_id"]) == set(), "$disconnect did not forget the connection")


def test_a_gone_connection_is_forgotten_on_the_next_push(stack, room):
    """A connection whose $disconnect never arrived (API Gateway's is best effort): the gateway
    answers 410 GoneException for it, and the app drops it from the registry."""
    with _open(stack, room["first"]["token"]) as socket:
        _until(lambda: len(registry(stack, room["group_id"])) == 1, "the connection was never registered")
        (alive,) = registry(stack, room["group_id"])
        stale = encode_connection(LiveConnection("R2FuZUNvbm5lY3Q=", "member", room["second"]["member_id"]))
        key = keys.live_room(room["group_id"])
        _table(stack).update_item(
            TableName=TABLE,
            Key={"pk": {"S": key.pk}, "sk": {"S": key.sk}},
            UpdateExpression="ADD connections :stale",
            ExpressionAttributeValues={":stale": {"SS": [stale]}},
        )

        _ok(stack, "POST", f"/v1/groups/{room['group_id']}/messages", {"body": "hello"}, room["facilitator"])

        assert _frame(socket)["message"]["body"] == "hello"
        assert registry(stack, room["group_id"]) == {alive}


def test_a_removed_member_is_hung_up(stack, room):
    with _open(stack, room["first"]["token"]) as socket:
        _until(lambda: len(registry(stack, room["group_id"])) == 1, "the connection was never registered")

        _ok(
            stack,
            "DELETE",
            f"/v1/groups/{room['group_id']}/members/{room['first']['member_id']}",
            token=room["facilitator"],
        )

        with pytest.raises(ConnectionClosed):
            socket.recv(timeout=WAIT)
    assert registry(stack, room["group_id"]) == set()
    with pytest.raises(InvalidStatus) as refused:
        _open(stack, room["first"]["token"])
    assert refused.value.response.status_code == 403


def test_the_connections_api_speaks_api_gateways_dialect(stack, room):
    """What boto3's `apigatewaymanagementapi` client gets: GoneException for an unknown id."""
    client = boto3.client(
        "apigatewaymanagementapi",
        endpoint_url=stack.management_url,
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    with pytest.raises(client.exceptions.GoneException):
        client.post_to_connection(ConnectionId="Tm9Tb2NrZXRIZXJlPQ=", Data=b"{}")
    with pytest.raises(client.exceptions.GoneException):
        client.delete_connection(ConnectionId="Tm9Tb2NrZXRIZXJlPQ=")

    with _open(stack, room["first"]["token"]) as socket:
        _until(lambda: len(registry(stack, room["group_id"])) == 1, "the connection was never registered")
        connection_id = next(iter(registry(stack, room["group_id"]))).split("|")[0]

        described = client.get_connection(ConnectionId=connection_id)
        assert described["Identity"]["SourceIp"] == "127.0.0.1"
        client.post_to_connection(ConnectionId=connection_id, Data=b'{"type": "ping"}')
        assert _frame(socket) == {"type": "ping"}
        client.delete_connection(ConnectionId=connection_id)
        with pytest.raises(ConnectionClosed):
            socket.recv(timeout=WAIT)
