"""Builds each service once per process, wired to the others (the composition root)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from chalicelib.services.contact import ContactService
from chalicelib.services.facilitators import FacilitatorService
from chalicelib.services.groups import GroupService
from chalicelib.services.membership import MembershipService


@dataclass(frozen=True)
class Services:
    facilitators: FacilitatorService
    groups: GroupService
    membership: MembershipService
    contact: ContactService


@cache
def services() -> Services:
    groups = GroupService()
    membership = MembershipService(access=groups)
    return Services(
        facilitators=FacilitatorService(),
        groups=groups,
        membership=membership,
        contact=ContactService(membership=membership),
    )
