"""SMS abuse limits hold under a concurrent burst (dynalite's real atomicity)."""

from __future__ import annotations

import itertools
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

pytestmark = pytest.mark.dynalite


class CountingSender:
    def __init__(self) -> None:
        self.sent: list[str] = []
        self.lock = threading.Lock()

    def sms(self, to: str, body: str) -> None:
        with self.lock:
            self.sent.append(body)


def test_a_burst_of_bad_join_codes_gets_three_replies_then_silence(dynalite):
    from chalicelib.domain import sms_text
    from chalicelib.services.inbound_sms import InboundSms

    outbound = CountingSender()
    inbound = InboundSms(outbound=lambda: outbound)
    ids = itertools.count()

    with ThreadPoolExecutor(max_workers=20) as pool:
        list(
            pool.map(
                lambda _i: inbound.handle("+16145550123", "JOIN ZZZZ2222", message_id=f"m{next(ids)}"),
                range(20),
            )
        )

    assert outbound.sent == [sms_text.BAD_CODE_REPLY] * 3


def test_a_burst_of_duplicate_deliveries_is_handled_once(dynalite):
    from chalicelib.services.inbound_sms import InboundSms

    outbound = CountingSender()
    inbound = InboundSms(outbound=lambda: outbound)

    from chalicelib.store.sms import MessageInProgressError

    def deliver(_index: int) -> str:
        try:
            inbound.handle("+16145550123", "HELP", message_id="same")
        except MessageInProgressError:  # another delivery holds the claim: SNS retries this one
            return "retry"
        return "handled"

    with ThreadPoolExecutor(max_workers=20) as pool:
        outcomes = list(pool.map(deliver, range(20)))

    assert len(outbound.sent) == 1
    assert "handled" in outcomes
    inbound.handle("+16145550123", "HELP", message_id="same")  # a retry after the work is done
    assert len(outbound.sent) == 1
