"""Service routes, error bodies and response hardening through the HTTP client."""

from __future__ import annotations

from tests.conftest import TEST_ADMIN_TOKEN


def test_health_answers_ok_with_security_headers(api):
    response = api.call("GET", "/health")

    assert response.status_code == 200
    assert response.json == {"status": "ok"}
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["Cache-Control"] == "no-store"


def test_malformed_json_is_400_with_error_body(api):
    response = api.call("POST", "/v1/admin/facilitators", raw="{not json", token=TEST_ADMIN_TOKEN)

    assert response.status_code == 400
    assert response.json == {"code": "malformed_json", "message": "The body is not valid JSON."}


def test_unknown_field_is_422_naming_it(api):
    response = api.call(
        "POST", "/v1/admin/facilitators", {"display_name": "Sam", "nickname": "x"}, token=TEST_ADMIN_TOKEN
    )

    assert response.status_code == 422
    assert response.json["code"] == "invalid"
    assert response.json["fields"] == {"nickname": "Unknown field."}


def test_invalid_field_is_422_naming_it(api):
    response = api.call("POST", "/v1/admin/facilitators", {"display_name": ""}, token=TEST_ADMIN_TOKEN)

    assert response.status_code == 422
    assert set(response.json["fields"]) == {"display_name"}


def test_body_that_is_not_an_object_is_422(api):
    response = api.call("POST", "/v1/admin/facilitators", ["Sam"], token=TEST_ADMIN_TOKEN)

    assert response.status_code == 422
    assert "body" in response.json["fields"]


def test_oversized_body_is_413(api):
    response = api.call(
        "POST", "/v1/admin/facilitators", {"display_name": "x" * 20_000}, token=TEST_ADMIN_TOKEN
    )

    assert response.status_code == 413
    assert response.json["code"] == "payload_too_large"


def test_wrong_media_type_gets_the_contract_error_body(client):
    response = client.http.post(
        "/v1/admin/facilitators",
        headers={"Content-Type": "text/plain", "Authorization": f"Bearer {TEST_ADMIN_TOKEN}"},
        body="hello",
    )

    assert response.status_code == 415
    assert b'"code":"unsupported_media_type"' in response.body


def test_unexpected_failure_is_a_500_with_the_contract_body_and_no_detail(api, monkeypatch, captured_logs):
    from chalicelib.services.facilitators import FacilitatorService

    def explode(*_args, **_kwargs):
        raise RuntimeError("secret internals +16145550123")

    monkeypatch.setattr(FacilitatorService, "create", explode)
    response = api.call("POST", "/v1/admin/facilitators", {"display_name": "Sam"}, token=TEST_ADMIN_TOKEN)

    assert response.status_code == 500
    assert response.json == {"code": "internal_error", "message": "Something went wrong on our side."}
    logs = captured_logs.getvalue()
    assert "RuntimeError" in logs
    assert "6145550123" not in logs
