"""Joins racing for the last seats and the same handle, on dynalite's real atomicity."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from chalicelib.errors import ConflictError

pytestmark = pytest.mark.dynalite


def _group(max_members: int | None):
    from chalicelib.domain.identity import Caller, Role
    from chalicelib.services.groups import GroupService
    from chalicelib.store.facilitators import FacilitatorItem

    item = FacilitatorItem(
        "FAC#fac_race", "FAC", facilitator_id="fac_race", display_name="Race", token_hash="x"
    )
    item.save()
    facilitator = Caller(Role.FACILITATOR, subject_id="fac_race")
    return GroupService().create(
        facilitator,
        name="Race Group",
        topic="racing",
        description="",
        timezone="UTC",
        access="invite",
        listed=False,
        max_members=max_members,
        session_label=None,
    )


def _join_all(code: str, handles: list[str | None]) -> list[object]:
    from chalicelib.domain.identity import ANONYMOUS
    from chalicelib.services.membership import MembershipService

    service = MembershipService()

    def attempt(handle):
        try:
            return service.join(ANONYMOUS, code, handle, None)
        except ConflictError as exc:
            return exc

    with ThreadPoolExecutor(max_workers=16) as pool:
        return list(pool.map(attempt, handles))


def test_concurrent_joins_never_exceed_max_members(dynalite):
    from chalicelib.store.groups import GroupRepository
    from chalicelib.store.members import MemberItem

    group = _group(max_members=10)

    import random

    from chalicelib.domain.handles import generated_candidates

    distinct = generated_candidates(random.Random(7), 40)
    outcomes = _join_all(group.invite.code, distinct)

    joined = [o for o in outcomes if not isinstance(o, ConflictError)]
    refused = [o for o in outcomes if isinstance(o, ConflictError)]
    assert len(joined) == 10
    assert {o.code for o in refused} == {"group_full"}
    stored = GroupRepository().get(group.group_id, consistent=True)
    assert stored.member_count == 10
    members = [i for i in GroupRepository().roster(group.group_id) if isinstance(i, MemberItem)]
    assert len(members) == 10


def test_concurrent_joins_never_share_a_handle(dynalite):
    group = _group(max_members=None)

    outcomes = _join_all(
        group.invite.code, ["Quiet Otter", "quiet otter", "QUIET OTTER", "Quiet 0tter"] * 5 + [None] * 20
    )

    joined = [o for o in outcomes if not isinstance(o, ConflictError)]
    taken = [o for o in outcomes if isinstance(o, ConflictError)]
    from chalicelib.domain.handles import handle_key

    keys = [handle_key(o.handle) for o in joined]
    assert len(keys) == len(set(keys))
    assert sum(1 for o in joined if handle_key(o.handle) == handle_key("Quiet Otter")) == 1
    assert len(taken) == 19
    assert {o.code for o in taken} == {"handle_taken"}
    assert len(joined) == 21
