"""What any series store must do: create once, list by group and among the active, edit in place
(with or without a new shape), end, record materialisation, and refuse a change to a series
that is not there. One contract, run against the in-memory fake (tests/unit) and
`SeriesRepository` on moto (tests/integration). A subclass provides `series_store`.
"""

from __future__ import annotations

import pytest

from chalicelib.errors import ConflictError
from chalicelib.store.sessions import ACTIVE, ENDED, Shape
from tests.contracts.common import NOW, START, weekly


def edited(series_store, item, **changes):
    values = {"title": item.title, "duration_minutes": int(item.duration_minutes), "capacity": item.capacity}
    values |= {"conference_url": item.conference_url, "at": NOW, **changes}
    series_store.edit(item, **values)


class SeriesStoreContract:
    def test_a_created_series_reads_back_as_written(self, series_store):
        weekly(series_store, capacity=3)

        stored = series_store.get("ser_contract")

        assert (stored.group_id, stored.title, stored.start_local, stored.timezone) == (
            "grp_contract",
            "Group session",
            "2026-12-01T19:00",
            "America/New_York",
        )
        assert (int(stored.capacity), stored.status, int(stored.sequence), stored.ended_at) == (
            3,
            ACTIVE,
            0,
            None,
        )
        assert series_store.get("ser_missing") is None

    def test_a_series_id_is_created_once(self, series_store):
        weekly(series_store)

        with pytest.raises(ConflictError):
            weekly(series_store, capacity=9)

        assert int(series_store.get("ser_contract").capacity) == 2

    def test_series_are_listed_by_group_and_among_the_active(self, series_store):
        weekly(series_store, series_id="ser_b")
        weekly(series_store, series_id="ser_a")
        other = series_store.new_item(
            "ser_c", "grp_other", title="t", start_local="2026-12-01T19:00", timezone="UTC",
            duration_minutes=60, rrule="FREQ=DAILY", status=ACTIVE, sequence=0,
        )  # fmt: skip
        series_store.create(other)

        assert [s.series_id for s in series_store.for_group("grp_contract")] == ["ser_a", "ser_b"]
        assert [s.series_id for s in series_store.active()] == ["ser_a", "ser_b", "ser_c"]

    def test_an_edit_changes_what_the_sessions_share_and_the_caller_sees_it(self, series_store):
        item = weekly(series_store, capacity=2)
        item.conference_url = None

        edited(
            series_store,
            item,
            title="Check-in",
            duration_minutes=90,
            capacity=None,
            conference_url="https://x.test/a",
        )

        stored = series_store.get("ser_contract")
        for seen in (item, stored):
            assert (seen.title, int(seen.duration_minutes), seen.capacity) == ("Check-in", 90, None)
            assert (seen.conference_url, int(seen.sequence), seen.updated_at) == ("https://x.test/a", 1, NOW)
            assert seen.start_local == "2026-12-01T19:00"

    def test_a_new_shape_is_materialised_afresh(self, series_store):
        item = weekly(series_store)
        series_store.materialised(item, START)
        assert series_store.get("ser_contract").materialised_until == START

        edited(series_store, item, shape=Shape("2026-12-03T18:00", "Europe/London", "FREQ=WEEKLY;BYDAY=TH"))

        stored = series_store.get("ser_contract")
        assert (stored.start_local, stored.timezone, stored.rrule) == (
            "2026-12-03T18:00",
            "Europe/London",
            "FREQ=WEEKLY;BYDAY=TH",
        )
        assert (stored.materialised_until, item.materialised_until) == (None, None)

    def test_an_ended_series_keeps_its_cut_rule_and_leaves_the_active(self, series_store):
        item = weekly(series_store)

        series_store.end(item, START, "FREQ=WEEKLY;UNTIL=20261202T000000Z", NOW)

        stored = series_store.get("ser_contract")
        for seen in (item, stored):
            assert (seen.status, seen.ended_at, seen.rrule) == (
                ENDED,
                START,
                "FREQ=WEEKLY;UNTIL=20261202T000000Z",
            )
            assert int(seen.sequence) == 1
        assert series_store.active() == []
        assert [s.series_id for s in series_store.for_group("grp_contract")] == ["ser_contract"]

    def test_ending_without_a_cut_rule_keeps_the_rule(self, series_store):
        item = weekly(series_store)

        series_store.end(item, START, None, NOW)

        assert series_store.get("ser_contract").rrule == "FREQ=WEEKLY"

    def test_a_series_that_is_not_there_is_not_changed(self, series_store):
        ghost = series_store.new_item(
            "ser_ghost", "grp_contract", title="t", start_local="2026-12-01T19:00", timezone="UTC",
            duration_minutes=60, rrule="FREQ=DAILY", status=ACTIVE, sequence=0,
        )  # fmt: skip

        for change in (
            lambda: edited(series_store, ghost, title="x"),
            lambda: series_store.end(ghost, START, None, NOW),
            lambda: series_store.materialised(ghost, START),
        ):
            with pytest.raises(ConflictError):
                change()

        assert series_store.get("ser_ghost") is None
