"""Joins racing for the last seats and the same handle, on dynalite's real atomicity.

End to end (with the invite use and the membership in one transaction) the join is proved
under faults in tests/faults/test_membership_faults.py; here its seat condition is raced."""

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


def _join_all(group_id: str, handles: list[str | None]) -> list[object]:
    """Race the group step of the join transaction (`MemberRepository.enrol`): its seat-and-handle
    condition and actions as one conditional write. dynalite has no transactions, and it is this
    condition that keeps seats and handles; DynamoDB runs a transaction's conditions atomically."""
    import random

    from chalicelib.domain.handles import generated_candidates, handle_key
    from chalicelib.services.groups import MEMBER_CEILING
    from chalicelib.store import keys
    from chalicelib.store.base import conditional
    from chalicelib.store.groups import GroupItem, GroupRepository, admission, admit_actions

    refusal = GroupRepository().refusal
    spare = iter(generated_candidates(random.Random(11), 100))

    def attempt(handle):
        name = handle or next(spare)
        key = handle_key(name)
        group_key = keys.group(group_id)
        item = GroupItem(group_key.pk, group_key.sk)
        try:
            with conditional(lambda: refusal(group_id, key, None)):
                item.update(actions=admit_actions(key), condition=admission(key, MEMBER_CEILING, None))
        except ConflictError as exc:
            return exc
        return name

    with ThreadPoolExecutor(max_workers=16) as pool:
        return list(pool.map(attempt, handles))


def test_concurrent_joins_never_exceed_max_members(dynalite):
    from chalicelib.store.groups import GroupRepository

    group = _group(max_members=10)

    import random

    from chalicelib.domain.handles import generated_candidates

    distinct = generated_candidates(random.Random(7), 40)
    outcomes = _join_all(group.group_id, distinct)

    joined = [o for o in outcomes if not isinstance(o, ConflictError)]
    refused = [o for o in outcomes if isinstance(o, ConflictError)]
    assert len(joined) == 10
    assert {o.code for o in refused} == {"group_full"}
    stored = GroupRepository().get(group.group_id, consistent=True)
    assert stored.member_count == 10
    assert len(stored.handle_keys) == 10


def test_concurrent_joins_never_share_a_handle(dynalite):
    group = _group(max_members=None)

    outcomes = _join_all(
        group.group_id, ["Quiet Otter", "quiet otter", "QUIET OTTER", "Quiet 0tter"] * 5 + [None] * 20
    )

    joined = [o for o in outcomes if not isinstance(o, ConflictError)]
    taken = [o for o in outcomes if isinstance(o, ConflictError)]
    from chalicelib.domain.handles import handle_key

    keys = [handle_key(o) for o in joined]
    assert len(keys) == len(set(keys))
    assert sum(1 for o in joined if handle_key(o) == handle_key("Quiet Otter")) == 1
    assert len(taken) == 19
    assert {o.code for o in taken} == {"handle_taken"}
    assert len(joined) == 21
