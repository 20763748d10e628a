"""Fault suites reuse the integration world (moto, the Chalice test client, a pinned clock)."""

from tests.integration.conftest import Api, Clock, api, callers, client, clock, emulated_aws, world  # noqa: F401
