"""Admin authentication and facilitator creation."""

from __future__ import annotations

import hashlib

import pytest

from tests.conftest import TEST_ADMIN_TOKEN


def test_admin_creates_a_facilitator_and_sees_its_token_once(api):
    created = api.create_facilitator("Robin")

    assert created["display_name"] == "Robin"
    assert created["facilitator_id"].startswith("fac_")
    assert created["token"].startswith("hf_")
    assert len(created["token"]) >= 3 + 43  # 32 random bytes, base64url


@pytest.mark.parametrize(
    "header",
    [None, "Bearer", "Bearer wrong-token", "Basic dXNlcjpwYXNz", f"Bearer {TEST_ADMIN_TOKEN} extra", "hf_x"],
)
def test_missing_or_bad_admin_token_is_401_with_error_body(client, header):
    headers = {"Content-Type": "application/json"}
    if header is not None:
        headers["Authorization"] = header

    response = client.http.post("/v1/admin/facilitators", headers=headers, body='{"display_name":"X"}')

    assert response.status_code == 401
    assert b'"code":"unauthorized"' in response.body
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_facilitator_token_on_an_admin_route_is_403(api):
    facilitator = api.create_facilitator()

    response = api.call("POST", "/v1/admin/facilitators", {"display_name": "X"}, token=facilitator["token"])

    assert response.status_code == 403
    assert response.json["code"] == "forbidden"


def test_facilitator_token_is_stored_only_as_its_hash(api):
    from chalicelib.store.tables import HearthItem

    created = api.create_facilitator("Robin", email="robin@example.org")
    token = created["token"]

    dumped = [str(item.serialize()) for item in HearthItem.scan()]  # test inspection only
    everything = "\n".join(dumped)
    assert token not in everything
    assert token[3:] not in everything
    assert hashlib.sha256(token.encode()).hexdigest() in everything
    assert "robin@example.org" not in everything


def test_facilitator_token_authenticates_and_stops_working_when_revoked(api):
    from chalicelib.domain.identity import Role, hash_token
    from chalicelib.services.auth import Authenticator
    from chalicelib.store.credentials import CredentialRepository

    created = api.create_facilitator()
    authenticator = Authenticator()

    caller = authenticator.caller(created["token"])
    assert caller.role is Role.FACILITATOR
    assert caller.subject_id == created["facilitator_id"]

    CredentialRepository().revoke(hash_token(created["token"]))
    response = api.call("POST", "/v1/admin/facilitators", {"display_name": "X"}, token=created["token"])
    assert response.status_code == 401


def test_facilitator_email_is_validated(api):
    response = api.call(
        "POST",
        "/v1/admin/facilitators",
        {"display_name": "X", "email": "not-an-email"},
        token=TEST_ADMIN_TOKEN,
    )

    assert response.status_code == 422
    assert set(response.json["fields"]) == {"email"}


def test_no_admin_token_configured_means_no_admin_access(api, monkeypatch):
    from tests.conftest import reset_process_state

    monkeypatch.delenv("HEARTH_ADMIN_TOKEN")
    reset_process_state()

    response = api.call("POST", "/v1/admin/facilitators", {"display_name": "X"}, token=TEST_ADMIN_TOKEN)

    assert response.status_code == 401
