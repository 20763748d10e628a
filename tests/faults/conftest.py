"""Fault suites reuse the integration world (moto, the Chalice test client, a pinned clock), with
the services on that clock and the simulated prod queue."""

import pytest

from tests.faults.sim_queue import SimQueue
from tests.integration.conftest import Api, Clock, api, callers, client, clock, emulated_aws, world  # noqa: F401


@pytest.fixture
def hub(api, clock):  # noqa: F811 (the fixtures above)
    from chalicelib.services.container import services

    found = services()
    found.reminder_sweep.clock = clock
    found.reminder_worker.clock = clock
    return found


@pytest.fixture
def queue(hub, clock) -> SimQueue:  # noqa: F811
    """Every producer (sweep, deferrals, notices) sends into the simulated prod queue."""
    simulated = SimQueue(clock)
    hub.reminder_sweep.queue = simulated
    hub.reminder_worker.queue = simulated
    hub.sessions.notices.queue = simulated
    return simulated
