"""What any session store must do when a session changes: cancel, move, promote, leave, carry
members in from a split, materialise, the start index, owed notices and the version rule. One
contract, run against the in-memory fake (tests/unit) and `SessionRepository` on moto
(tests/integration).

A subclass provides `series_store`, `session_store` and `race`: `race(competing, times=1)` makes
`competing()` land just before each of the next `times` writes of a change decided from the
stored session (as a concurrent request would, between its read and its write).
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from chalicelib.errors import ConflictError
from chalicelib.store.sessions import CANCELLED, REVISE_ATTEMPTS, SCHEDULED
from tests.contracts.common import NOW, START, never, session_id, telling, untold, weekly

LATER = START + timedelta(hours=2)
WEEK = timedelta(days=7)


def roster(session_store, series, original=START) -> tuple[set[str], list[str]]:
    item = session_store.get(series.series_id, original, consistent=True)
    return set(item.going or ()), list(item.waitlist or ())


def seated(session_store, series, going=(), waiting=(), original=START) -> str:
    sid = session_id(series, original)
    for member in going:
        assert session_store.take_seat(series, sid, original, member, NOW)
    for member in waiting:
        assert session_store.join_waitlist(series, sid, original, member, NOW) is not None
    return sid


def on_start_index(session_store, first, last=None) -> list[tuple[str, object]]:
    return sorted((item.session_id, item.start) for item in session_store.starting(first, last or first))


class SessionStoreContract:
    # --- cancel ---------------------------------------------------------------------------

    def test_cancelling_owes_each_member_going_a_notice_and_keeps_who_was_in(
        self, series_store, session_store
    ):
        series = weekly(series_store, capacity=2)
        sid = seated(session_store, series, going=("mem_a", "mem_b"), waiting=("mem_c",))

        after = session_store.cancel(series, sid, START, telling("cancelled"))

        assert (after.status, int(after.sequence)) == (CANCELLED, 1)
        assert list(after.owed) == [
            f"cancelled mem_a {sid} 2026-12-02T00:00Z 1",
            f"cancelled mem_b {sid} 2026-12-02T00:00Z 1",
        ]
        assert roster(session_store, series) == ({"mem_a", "mem_b"}, ["mem_c"])
        assert session_store.take_seat(series, sid, START, "mem_d", NOW) is False
        assert session_store.join_waitlist(series, sid, START, "mem_d", NOW) is None

    def test_cancelling_again_changes_nothing(self, series_store, session_store):
        series = weekly(series_store)
        sid = seated(session_store, series, going=("mem_a",))
        first = session_store.cancel(series, sid, START, telling("cancelled"))

        again = session_store.cancel(series, sid, START, telling("cancelled"))

        assert (int(again.version), list(again.owed)) == (int(first.version), list(first.owed))

    def test_a_session_never_stored_is_cancelled_as_an_exception_of_its_group(
        self, series_store, session_store
    ):
        series = weekly(series_store)
        sid = session_id(series, START + WEEK)

        after = session_store.cancel(series, sid, START + WEEK, telling("cancelled"))

        assert (after.status, after.session_id, after.owed, after.going) == (CANCELLED, sid, None, None)
        found = session_store.in_group("grp_contract", START, START + 2 * WEEK)
        assert [(item.session_id, item.status, item.start) for item in found] == [
            (sid, CANCELLED, START + WEEK)
        ]

    def test_cancelling_without_a_notice_owes_nothing(self, series_store, session_store):
        series = weekly(series_store)
        sid = seated(session_store, series, going=("mem_a",))

        after = session_store.cancel(series, sid, START, None)

        assert (after.status, after.owed) == (CANCELLED, None)
        assert session_store.with_owed() == []

    def test_a_cancelled_session_leaves_the_start_index(self, series_store, session_store):
        series = weekly(series_store)
        sid = session_id(series)
        assert session_store.materialise(series, sid, START) is True
        assert on_start_index(session_store, START) == [(sid, START)]

        session_store.cancel(series, sid, START, None)

        assert on_start_index(session_store, START) == []

    # --- move -----------------------------------------------------------------------------

    def test_moving_changes_the_start_and_keeps_the_identity(self, series_store, session_store):
        series = weekly(series_store)
        sid = seated(session_store, series, going=("mem_a",))
        session_store.materialise(series, sid, START)

        after = session_store.move(series, sid, START, LATER, 90, telling("moved"))

        assert (after.session_id, after.original_start, after.start) == (sid, START, LATER)
        assert (int(after.duration_minutes), int(after.moved), int(after.sequence)) == (90, 1, 1)
        assert list(after.owed) == [f"moved mem_a {sid} 2026-12-02T02:00Z 1"]
        assert session_store.get(series.series_id, START).start == LATER
        assert on_start_index(session_store, START) == []
        assert on_start_index(session_store, LATER) == [(sid, LATER)]
        assert roster(session_store, series) == ({"mem_a"}, [])

    def test_a_cancelled_session_cannot_be_moved(self, series_store, session_store):
        series = weekly(series_store)
        sid = session_id(series)
        session_store.cancel(series, sid, START, None)

        with pytest.raises(ConflictError) as refused:
            session_store.move(series, sid, START, LATER, 60, untold)

        assert refused.value.code == "session_cancelled"
        assert session_store.get(series.series_id, START).start == START

    def test_a_moved_session_takes_rsvps_until_its_new_start(self, series_store, session_store):
        series = weekly(series_store)
        sid = session_id(series)
        session_store.move(series, sid, START, LATER, 60, untold)

        assert session_store.take_seat(series, sid, START, "mem_a", START + timedelta(hours=1)) is True
        assert session_store.take_seat(series, sid, START, "mem_b", LATER) is False

    # --- materialise and the start index --------------------------------------------------

    def test_materialising_stores_a_session_where_the_sweep_finds_it(self, series_store, session_store):
        series = weekly(series_store)
        first, second = session_id(series), session_id(series, START + WEEK)

        written = [
            session_store.materialise(series, sid, o) for sid, o in ((first, START), (second, START + WEEK))
        ]

        assert written == [True, True]
        assert on_start_index(session_store, START, START + WEEK) == [(first, START), (second, START + WEEK)]
        assert (
            on_start_index(session_store, START + timedelta(minutes=1), START + WEEK - timedelta(minutes=1))
            == []
        )
        stored = session_store.get(series.series_id, START)
        assert (stored.status, stored.going, stored.waitlist, int(stored.moved)) == (SCHEDULED, None, None, 0)

    def test_a_cancelled_or_moved_session_is_not_materialised_again(self, series_store, session_store):
        series = weekly(series_store)
        first, second = session_id(series), session_id(series, START + WEEK)
        session_store.cancel(series, first, START, None)
        session_store.move(series, second, START + WEEK, START + WEEK + timedelta(hours=2), 60, untold)

        again = [
            session_store.materialise(series, sid, o) for sid, o in ((first, START), (second, START + WEEK))
        ]

        assert again == [False, False]
        assert on_start_index(session_store, START, START + 2 * WEEK) == [
            (second, START + WEEK + timedelta(hours=2))
        ]

    def test_a_session_rsvpd_before_it_was_materialised_is_materialised(self, series_store, session_store):
        series = weekly(series_store)
        sid = seated(session_store, series, going=("mem_a",), original=START + 9 * WEEK)

        assert on_start_index(session_store, START + 9 * WEEK) == []
        assert session_store.materialise(series, sid, START + 9 * WEEK) is True

        assert on_start_index(session_store, START + 9 * WEEK) == [(sid, START + 9 * WEEK)]
        assert roster(session_store, series, START + 9 * WEEK) == ({"mem_a"}, [])

    def test_sessions_of_a_series_are_found_from_an_original_start(self, series_store, session_store):
        series = weekly(series_store)
        for week in range(3):
            session_store.materialise(series, session_id(series, START + week * WEEK), START + week * WEEK)

        found = session_store.in_series(series.series_id, START + WEEK)

        assert [item.original_start for item in found] == [START + WEEK, START + 2 * WEEK]

    # --- promotion and leaving ------------------------------------------------------------

    def test_promotion_seats_the_waiting_in_arrival_order_up_to_the_capacity(
        self, series_store, session_store
    ):
        series = weekly(series_store, capacity=1)
        sid = seated(session_store, series, going=("mem_a",), waiting=("mem_c", "mem_b", "mem_d"))
        series_store.edit(
            series, title="Group session", duration_minutes=60, capacity=3, conference_url=None, at=NOW
        )

        after = session_store.promote(series, sid, START, telling("promoted"))

        assert (set(after.going), list(after.waitlist)) == ({"mem_a", "mem_c", "mem_b"}, ["mem_d"])
        assert [body.split(" ")[1] for body in after.owed] == ["mem_c", "mem_b"]

    def test_promotion_with_no_free_seat_or_in_a_cancelled_session_seats_nobody(
        self, series_store, session_store
    ):
        series = weekly(series_store, capacity=1)
        sid = seated(session_store, series, going=("mem_a",), waiting=("mem_b",))
        before = session_store.get(series.series_id, START)

        unchanged = session_store.promote(series, sid, START, telling("promoted"))
        session_store.cancel(series, sid, START, None)
        series_store.edit(
            series, title="Group session", duration_minutes=60, capacity=None, conference_url=None, at=NOW
        )
        cancelled = session_store.promote(series, sid, START, telling("promoted"))

        assert int(unchanged.version) == int(before.version)
        assert (set(cancelled.going), list(cancelled.waitlist), cancelled.owed) == (
            {"mem_a"},
            ["mem_b"],
            None,
        )

    def test_leaving_withdraws_the_leavers_promotion_not_yet_queued(self, series_store, session_store):
        series = weekly(series_store, capacity=1)
        sid = seated(session_store, series, going=("mem_a",), waiting=("mem_b", "mem_c"))
        session_store.leave(series, sid, START, "mem_a", telling("promoted"), withdrawn=never)

        after = session_store.leave(
            series, sid, START, "mem_b", telling("promoted"), withdrawn=lambda body: " mem_b " in body
        )

        assert (set(after.going), after.waitlist) == ({"mem_c"}, None)
        assert [body.split(" ")[:2] for body in after.owed] == [["promoted", "mem_c"]]

    def test_a_seat_freed_in_a_cancelled_session_goes_to_nobody(self, series_store, session_store):
        series = weekly(series_store, capacity=1)
        sid = seated(session_store, series, going=("mem_a",), waiting=("mem_b",))
        session_store.cancel(series, sid, START, None)

        after = session_store.leave(series, sid, START, "mem_a", telling("promoted"), withdrawn=never)

        assert (after.going, list(after.waitlist), after.owed) == (None, ["mem_b"], None)

    # --- carried in from a split ----------------------------------------------------------

    def test_members_carried_in_take_free_seats_then_wait_behind_those_already_waiting(
        self, series_store, session_store
    ):
        series = weekly(series_store, capacity=2)
        sid = seated(session_store, series, going=("mem_x",), waiting=("mem_y",))

        after = session_store.carry_in(
            series, sid, START, {"mem_c", "mem_a", "mem_b"}, ["mem_d"], telling("moved"), telling("lost")
        )

        assert set(after.going) == {"mem_x", "mem_a"}
        assert list(after.waitlist) == ["mem_y", "mem_b", "mem_c", "mem_d"]
        assert [body.split(" ")[:2] for body in after.owed] == [
            ["moved", "mem_a"],
            ["lost", "mem_b"],
            ["lost", "mem_c"],
        ]
        assert on_start_index(session_store, START) == [(sid, START)]

    def test_carrying_in_the_same_members_again_changes_nothing(self, series_store, session_store):
        series = weekly(series_store, capacity=None)
        sid = session_id(series)
        first = session_store.carry_in(series, sid, START, {"mem_a"}, ["mem_b"], telling("moved"), untold)

        again = session_store.carry_in(series, sid, START, {"mem_a"}, ["mem_b"], telling("moved"), untold)

        assert (set(first.going), list(first.waitlist)) == ({"mem_a", "mem_b"} - {"mem_b"}, ["mem_b"])
        assert (int(again.version), list(again.owed)) == (int(first.version), list(first.owed))

    # --- owed notices ---------------------------------------------------------------------

    def test_owed_notices_are_found_until_settled(self, series_store, session_store):
        series = weekly(series_store)
        sid = seated(session_store, series, going=("mem_a", "mem_b"))
        after = session_store.cancel(series, sid, START, telling("cancelled"))
        assert [item.session_id for item in session_store.with_owed()] == [sid]

        session_store.settle(after, list(after.owed))

        assert session_store.with_owed() == []
        assert session_store.get(series.series_id, START).owed is None

    def test_settling_forgets_only_the_notices_still_first(self, series_store, session_store):
        series = weekly(series_store)
        sid = seated(session_store, series, going=("mem_a",))
        read = session_store.move(series, sid, START, LATER, 60, telling("moved"))
        more = session_store.move(series, sid, START, LATER + timedelta(hours=1), 60, telling("moved"))
        assert len(more.owed) == 2

        session_store.settle(read, list(read.owed))  # one more was owed meanwhile: nothing settled

        assert list(session_store.get(series.series_id, START).owed) == list(more.owed)
        session_store.settle(more, list(more.owed))
        assert session_store.with_owed() == []

    def test_many_owed_notices_are_settled_in_chunks(self, series_store, session_store):
        series = weekly(series_store, capacity=None)
        sid = seated(session_store, series, going=[f"mem_{n:02}" for n in range(30)])
        after = session_store.cancel(series, sid, START, telling("cancelled"))
        assert len(after.owed) == 30

        session_store.settle(after, list(after.owed))

        assert session_store.get(series.series_id, START).owed is None

    # --- the version rule -----------------------------------------------------------------

    def test_every_write_moves_the_version(self, series_store, session_store):
        series = weekly(series_store, capacity=1)
        sid = session_id(series)
        versions = []
        session_store.take_seat(series, sid, START, "mem_a", NOW)
        versions.append(session_store.get(series.series_id, START).version)
        session_store.join_waitlist(series, sid, START, "mem_b", NOW)
        versions.append(session_store.get(series.series_id, START).version)
        after = session_store.cancel(series, sid, START, telling("cancelled"))
        versions.append(after.version)
        session_store.settle(after, list(after.owed))
        versions.append(session_store.get(series.series_id, START).version)

        assert versions == [1, 2, 3, 4]

    def test_a_change_raced_by_an_rsvp_is_decided_again_from_what_is_stored(
        self, series_store, session_store, race
    ):
        series = weekly(series_store, capacity=None)
        sid = seated(session_store, series, going=("mem_a",))
        race(lambda: session_store.take_seat(series, sid, START, "mem_b", NOW))

        after = session_store.cancel(series, sid, START, telling("cancelled"))

        assert set(after.going) == {"mem_a", "mem_b"}
        assert [body.split(" ")[1] for body in after.owed] == ["mem_a", "mem_b"]  # nobody untold

    def test_a_move_raced_by_a_cancel_is_refused(self, series_store, session_store, race):
        series = weekly(series_store)
        sid = seated(session_store, series, going=("mem_a",))
        race(lambda: session_store.cancel(series, sid, START, None))

        with pytest.raises(ConflictError) as refused:
            session_store.move(series, sid, START, LATER, 60, telling("moved"))

        assert refused.value.code == "session_cancelled"
        assert session_store.get(series.series_id, START).start == START

    def test_a_session_that_keeps_changing_answers_busy(self, series_store, session_store, race):
        series = weekly(series_store, capacity=None)
        sid = seated(session_store, series, going=("mem_a",))
        newcomers = iter(f"mem_{n:02}" for n in range(REVISE_ATTEMPTS))
        race(lambda: session_store.take_seat(series, sid, START, next(newcomers), NOW), times=REVISE_ATTEMPTS)

        with pytest.raises(ConflictError) as refused:
            session_store.cancel(series, sid, START, telling("cancelled"))

        assert refused.value.code == "session_busy"
        stored = session_store.get(series.series_id, START)
        assert (stored.status, len(stored.going)) == (SCHEDULED, 1 + REVISE_ATTEMPTS)
