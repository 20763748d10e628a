"""Local-only dev routes: the outbox and inbound SMS."""

from __future__ import annotations


def test_inbound_sms_reply_lands_in_the_outbox_and_can_be_filtered(api):
    reply = api.call("POST", "/v1/dev/sms", {"from": "(614) 555-0123", "body": "  help "})
    api.call("POST", "/v1/dev/sms", {"from": "+1 312 555 0199", "body": "hello"})

    assert reply.status_code == 200
    assert "Msg & data rates may apply" in reply.json["replies"][0]
    mine = api.call("GET", "/v1/dev/outbox?to=%2B16145550123").json["messages"]
    assert [m["body"] for m in mine] == reply.json["replies"]
    assert mine[0]["channel"] == "sms"
    assert len(api.call("GET", "/v1/dev/outbox").json["messages"]) == 2


def test_outbox_is_cleared_by_delete(api):
    api.call("POST", "/v1/dev/sms", {"from": "+16145550123", "body": "help"})

    assert api.call("DELETE", "/v1/dev/outbox").status_code == 204
    assert api.call("GET", "/v1/dev/outbox").json == {"messages": []}


def test_dev_routes_refuse_outside_local_stages(api, monkeypatch):
    from tests.conftest import reset_process_state

    monkeypatch.setenv("HEARTH_STAGE", "prod")
    reset_process_state()

    assert api.call("GET", "/v1/dev/outbox").status_code == 404
    assert api.call("POST", "/v1/dev/sms", {"from": "+16145550123", "body": "help"}).status_code == 404


def test_dev_routes_are_not_registered_unless_asked_for():
    import subprocess
    import sys

    from tests.conftest import ROOT

    code = "from app import app; print(sorted(p for p in app.routes if p.startswith('/v1/dev')))"
    env = {"PATH": "/usr/bin:/bin", "AWS_DEFAULT_REGION": "us-east-1", "HEARTH_STAGE": "prod"}
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )

    assert out.stdout.strip() == "[]"
