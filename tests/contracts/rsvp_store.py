"""What any series/session store must do for RSVPs: one contract, run against the in-memory
fakes (tests/unit) and the DynamoDB repositories on moto (tests/integration).

A subclass provides the `series_store` and `session_store` fixtures.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.contracts.common import NOW, START, never, session_id, untold, weekly

__all__ = ["NOW", "START", "RsvpStoreContract"]


class RsvpStoreContract:
    def series(self, series_store: Any, capacity: int | None = 2) -> Any:
        return weekly(series_store, capacity)

    @staticmethod
    def session_id(series: Any) -> str:
        return session_id(series)

    def test_seats_are_taken_until_the_capacity_then_refused(self, series_store, session_store):
        series = self.series(series_store, capacity=2)
        sid = self.session_id(series)

        taken = [session_store.take_seat(series, sid, START, m, NOW) for m in ("mem_a", "mem_b", "mem_c")]

        assert taken == [True, True, False]
        assert set(session_store.get(series.series_id, START, consistent=True).going) == {"mem_a", "mem_b"}

    def test_a_member_already_in_is_refused_a_second_place(self, series_store, session_store):
        series = self.series(series_store, capacity=1)
        sid = self.session_id(series)
        session_store.take_seat(series, sid, START, "mem_a", NOW)
        session_store.join_waitlist(series, sid, START, "mem_b", NOW)

        assert session_store.take_seat(series, sid, START, "mem_a", NOW) is False
        assert session_store.join_waitlist(series, sid, START, "mem_a", NOW) is None
        assert session_store.join_waitlist(series, sid, START, "mem_b", NOW) is None
        stored = session_store.get(series.series_id, START, consistent=True)
        assert (set(stored.going), list(stored.waitlist)) == ({"mem_a"}, ["mem_b"])

    def test_the_waitlist_keeps_arrival_order(self, series_store, session_store):
        series = self.series(series_store, capacity=1)
        sid = self.session_id(series)
        session_store.take_seat(series, sid, START, "mem_a", NOW)

        for member in ("mem_c", "mem_b", "mem_d"):
            after = session_store.join_waitlist(series, sid, START, member, NOW)

        assert list(after.waitlist) == ["mem_c", "mem_b", "mem_d"]

    def test_a_stored_session_that_started_takes_no_one(self, series_store, session_store):
        series = self.series(series_store)
        sid = self.session_id(series)
        session_store.take_seat(series, sid, START, "mem_a", NOW)

        assert session_store.take_seat(series, sid, START, "mem_b", START) is False
        assert session_store.join_waitlist(series, sid, START, "mem_b", START) is None

    def test_a_freed_seat_goes_to_the_waitlist_head_in_the_same_write(self, series_store, session_store):
        series = self.series(series_store, capacity=1)
        sid = self.session_id(series)
        session_store.take_seat(series, sid, START, "mem_a", NOW)
        session_store.join_waitlist(series, sid, START, "mem_b", NOW)
        session_store.join_waitlist(series, sid, START, "mem_c", NOW)

        after = session_store.leave(series, sid, START, "mem_a", untold, withdrawn=never)

        assert (set(after.going), list(after.waitlist)) == ({"mem_b"}, ["mem_c"])
        stored = session_store.get(series.series_id, START, consistent=True)
        assert (set(stored.going), list(stored.waitlist)) == ({"mem_b"}, ["mem_c"])

    def test_leaving_a_session_one_is_not_in_changes_nothing(self, series_store, session_store):
        series = self.series(series_store, capacity=1)
        sid = self.session_id(series)
        session_store.take_seat(series, sid, START, "mem_a", NOW)

        session_store.leave(series, sid, START, "mem_z", untold, withdrawn=never)

        stored = session_store.get(series.series_id, START, consistent=True)
        assert (set(stored.going), stored.waitlist) == ({"mem_a"}, None)

    def test_sessions_of_a_group_are_found_by_their_original_start(self, series_store, session_store):
        series = self.series(series_store)
        sid = self.session_id(series)
        session_store.take_seat(series, sid, START, "mem_a", NOW)

        inside = session_store.in_group("grp_contract", START - timedelta(days=1), START + timedelta(days=1))
        before = session_store.in_group("grp_contract", START - timedelta(days=9), START - timedelta(days=1))

        assert [item.session_id for item in inside] == [sid]
        assert before == []
        assert [item.series_id for item in series_store.for_group("grp_contract")] == [series.series_id]
