"""Failed conditions inside a transaction become the caller's domain error, not a 503."""

from __future__ import annotations

import pytest

from chalicelib.errors import ConflictError


def test_a_duplicate_facilitator_is_a_conflict(emulated_aws):
    from chalicelib.store.facilitators import FacilitatorRepository

    repository = FacilitatorRepository()
    repository.create("fac_same", "One", "hash-one")

    with pytest.raises(ConflictError):
        repository.create("fac_same", "Two", "hash-two")
