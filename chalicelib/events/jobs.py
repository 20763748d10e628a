"""Scheduled jobs (EventBridge): thin handlers that call one service each."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint, Cron

from chalicelib.observability import logger
from chalicelib.services.container import services

jobs = Blueprint(__name__)


@jobs.schedule(Cron(15, 3, "*", "*", "?", "*"), name="extend_horizon")
def extend_horizon(event: Any) -> dict[str, int]:
    """Daily: materialise every active series' sessions up to the rolling horizon."""
    written = services().series.extend_horizon()
    logger().info("horizon extended", extra={"sessions": written})
    return {"sessions": written}
