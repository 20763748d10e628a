"""Integration fixtures: moto in-process and the Chalice test client."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from chalice.test import Client
from moto import mock_aws

from tests.conftest import TEST_ADMIN_TOKEN


@pytest.fixture
def aws() -> Iterator[None]:
    from chalicelib.store.tables import create_table

    with mock_aws():
        create_table()
        yield


@pytest.fixture
def client(aws: None) -> Iterator[Client]:
    from app import app

    with Client(app) as test_client:
        yield test_client


class Api:
    """Small helper over the test client: JSON in and out, bearer tokens."""

    def __init__(self, client: Client) -> None:
        self.client = client

    def call(
        self, method: str, path: str, body: Any = None, token: str | None = None, raw: str | None = None
    ):
        headers = {"Content-Type": "application/json"}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        payload = raw if raw is not None else (json.dumps(body) if body is not None else None)
        response = getattr(self.client.http, method.lower())(path, headers=headers, body=payload)
        response.json = json.loads(response.body) if response.body else None
        return response

    def create_facilitator(self, name: str = "Robin", email: str | None = None) -> dict[str, Any]:
        body = {"display_name": name} | ({"email": email} if email else {})
        response = self.call("POST", "/v1/admin/facilitators", body, token=TEST_ADMIN_TOKEN)
        assert response.status_code == 201, response.body
        return response.json


@pytest.fixture
def api(client: Client) -> Api:
    return Api(client)
