"""Signing in another device, cut at every DynamoDB step and raced by erasure and removal.

A sign-in is one transaction (the link used, the device listed, its credential), so a failure
leaves the link usable and nothing half-made; a device signed in while the membership is being
erased or removed is erased or refused with it.
"""

from __future__ import annotations

import re

import pytest

from tests.faults.botocore_faults import Faults
from tests.integration.test_devices import EMAIL, _verify


@pytest.fixture
def link(api, world):
    """A fresh sign-in link for member_here (email verified)."""
    token = world["member_here"]["token"]
    _verify(api, token)

    def make() -> str:
        assert api.call("POST", "/v1/me/sign-in-link", {"channel": "email"}, token=token).status_code == 202
        return re.search(r"#login=([\w-]+)", api.outbox(EMAIL)[-1]["body"]).group(1)

    return make


def _devices(api, token: str) -> int:
    return len(api.call("GET", "/v1/me/devices", token=token).json["devices"])


@pytest.mark.parametrize("step", range(5))
def test_a_sign_in_failing_at_any_step_leaves_the_link_usable_and_nothing_half_made(
    api, world, link, faults: Faults, step
):
    token, login = world["member_here"]["token"], link()
    faults.fail("dynamodb", "*", code="InternalServerError", status=500, times=None, after=step)

    answer = api.call("POST", "/v1/login", {"login": login})

    faults.clear()
    assert answer.status_code in (200, 503), answer.body
    if answer.status_code == 503:
        assert _devices(api, token) == 1
        answer = api.call("POST", "/v1/login", {"login": login})  # the link was not used up
        assert answer.status_code == 200
    assert _devices(api, token) == 2
    assert api.call("GET", "/v1/me", token=answer.json["token"]).status_code == 200
    assert api.call("POST", "/v1/login", {"login": login}).status_code == 410


def _racing(monkeypatch, repository, method: str, sign_in) -> list[str]:
    """Sign a device in just before `repository.method` writes, once; returns its token."""
    original, signed = getattr(repository, method), []

    def raced(*args, **kwargs):
        if not signed:
            signed.append(sign_in())
        return original(*args, **kwargs)

    monkeypatch.setattr(repository, method, raced)
    return signed


def test_a_device_signed_in_while_the_member_leaves_is_erased_too(api, world, link, monkeypatch):
    from chalicelib.domain.identity import hash_token
    from chalicelib.services.container import services
    from chalicelib.store.credentials import CredentialRepository

    login = link()
    hub = services()
    signed = _racing(monkeypatch, hub.membership.members, "erase", lambda: hub.devices.sign_in(login).token)

    assert api.call("DELETE", "/v1/me", token=world["member_here"]["token"]).status_code == 204

    assert signed
    assert CredentialRepository().get(hash_token(signed[0])) is None
    assert CredentialRepository().get(hash_token(world["member_here"]["token"])) is None


def test_a_device_signed_in_while_the_member_is_removed_is_refused_too(api, world, link, monkeypatch):
    from chalicelib.domain.identity import hash_token
    from chalicelib.services.container import services
    from chalicelib.store.credentials import CredentialRepository

    login = link()
    hub = services()
    signed = _racing(monkeypatch, hub.membership.members, "update", lambda: hub.devices.sign_in(login).token)

    removed = api.call(
        "DELETE",
        f"/v1/groups/{world['group_here']['group_id']}/members/{world['member_here']['member_id']}",
        token=world["facilitator_here"]["token"],
    )

    assert removed.status_code == 204
    assert signed
    assert CredentialRepository().get(hash_token(signed[0])).removed
    assert api.call("GET", "/v1/me", token=signed[0]).status_code == 403
