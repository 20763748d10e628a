"""The integration suite's fixtures (moto, the Chalice test client, a pinned clock, a small world)."""

from tests.integration.conftest import api, aws, client, clock, world  # noqa: F401
