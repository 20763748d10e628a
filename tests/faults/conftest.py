"""Fault suites reuse the integration world (moto, the Chalice test client, a pinned clock)."""

from tests.integration.conftest import Api, Clock, api, aws, callers, client, clock, world  # noqa: F401
