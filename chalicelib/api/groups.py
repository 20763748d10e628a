"""Groups, invites and rosters."""

from typing import Literal

from pydantic import Field

from chalicelib.api.routing import ANYONE, FACILITATOR, MEMBER_OR_FACILITATOR, Routes
from chalicelib.api.schemas import (
    DisplayName,
    PlainText,
    QueryModel,
    RequestModel,
    ResponseModel,
    Timezone,
)
from chalicelib.domain.identity import Caller
from chalicelib.responses import (
    FacilitatedGroup,
    Group,
    Invite,
    RosterEntry,
)
from chalicelib.services.container import services

routes = Routes(__name__, "groups")

GroupName = DisplayName
Topic = str
Label = PlainText


class CreateGroup(RequestModel):
    name: GroupName = Field(min_length=3)
    topic: Topic = Field(min_length=2, max_length=60, examples=["anxiety"])
    description: PlainText = Field(default="", max_length=2000)
    timezone: Timezone
    access: Literal["invite", "open"] = "invite"
    listed: bool = False
    max_members: int | None = Field(default=None, ge=2, le=1000)
    session_label: Label | None = Field(default=None, min_length=1, max_length=40)


class UpdateGroup(RequestModel):
    name: GroupName | None = Field(default=None, min_length=3)
    topic: Topic | None = Field(default=None, min_length=2, max_length=60)
    description: PlainText | None = Field(default=None, max_length=2000)
    timezone: Timezone | None = None
    access: Literal["invite", "open"] | None = None
    listed: bool | None = None
    max_members: int | None = Field(default=None, ge=2, le=1000, description="null removes the limit")
    session_label: Label | None = Field(default=None, min_length=1, max_length=40)


class GroupList(ResponseModel):
    groups: list[Group]


class DirectoryQuery(QueryModel):
    topic: str | None = Field(default=None, max_length=60)


class CreateInvite(RequestModel):
    expires_in_hours: int | None = Field(default=None, ge=1, le=720, description="Default 168 (7 days)")
    max_uses: int | None = Field(default=None, ge=1, le=10000)
    rotate: bool = Field(default=False, description="Revoke the group's other invites")


class InviteList(ResponseModel):
    invites: list[Invite]


class FacilitatedGroupList(ResponseModel):
    groups: list[FacilitatedGroup]


class Roster(ResponseModel):
    members: list[RosterEntry]


class AddFacilitator(RequestModel):
    facilitator_id: str = Field(min_length=1, max_length=64)


@routes.operation(
    "POST",
    "/v1/groups",
    allowed=FACILITATOR,
    summary="Create a group",
    body=CreateGroup,
    response=Group,
    status=201,
)
def create_group(caller: Caller, body: CreateGroup) -> Group:
    view = services().groups.create(caller, **body.model_dump())
    return view


@routes.operation(
    "GET", "/v1/groups", allowed=ANYONE, summary="Listed groups", query=DirectoryQuery, response=GroupList
)
def list_groups(caller: Caller, query: DirectoryQuery) -> GroupList:
    return GroupList(groups=list(services().groups.directory(caller, query.topic)))


@routes.operation(
    "GET",
    "/v1/facilitator/groups",
    allowed=FACILITATOR,
    summary="Every group the caller facilitates, listed or not, with its open alerts",
    response=FacilitatedGroupList,
)
def facilitated_groups(caller: Caller) -> FacilitatedGroupList:
    return FacilitatedGroupList(groups=list(services().moderation.facilitated_groups(caller)))


@routes.operation("GET", "/v1/groups/{group_id}", allowed=ANYONE, summary="A group", response=Group)
def get_group(caller: Caller, group_id: str) -> Group:
    return services().groups.get(caller, group_id)


@routes.operation(
    "PATCH",
    "/v1/groups/{group_id}",
    allowed=FACILITATOR,
    summary="Change a group",
    body=UpdateGroup,
    response=Group,
    errors=(409,),
)
def update_group(caller: Caller, group_id: str, body: UpdateGroup) -> Group:
    changes = {name: getattr(body, name) for name in body.model_fields_set}
    return services().groups.update(caller, group_id, changes)


@routes.operation(
    "POST",
    "/v1/groups/{group_id}/invites",
    allowed=FACILITATOR,
    summary="Create an invite",
    body=CreateInvite,
    response=Invite,
    status=201,
)
def create_invite(caller: Caller, group_id: str, body: CreateInvite) -> Invite:
    return services().groups.create_invite(caller, group_id, **body.model_dump())


@routes.operation(
    "GET",
    "/v1/groups/{group_id}/invites",
    allowed=FACILITATOR,
    summary="A group's invites",
    response=InviteList,
)
def list_invites(caller: Caller, group_id: str) -> InviteList:
    return InviteList(invites=list(services().groups.list_invites(caller, group_id)))


@routes.operation(
    "DELETE",
    "/v1/groups/{group_id}/invites/{code}",
    allowed=FACILITATOR,
    summary="Revoke an invite",
    status=204,
    errors=(409,),
)
def revoke_invite(caller: Caller, group_id: str, code: str) -> None:
    services().groups.revoke_invite(caller, group_id, code)


@routes.operation(
    "GET",
    "/v1/groups/{group_id}/members",
    allowed=MEMBER_OR_FACILITATOR,
    summary="Handles and roles in a group",
    response=Roster,
)
def list_members(caller: Caller, group_id: str) -> Roster:
    return Roster(members=list(services().groups.roster(caller, group_id)))


@routes.operation(
    "DELETE",
    "/v1/groups/{group_id}/members/{member_id}",
    allowed=FACILITATOR,
    summary="Remove a member; they cannot rejoin with the same token or phone",
    status=204,
)
def remove_member(caller: Caller, group_id: str, member_id: str) -> None:
    services().membership.remove(caller, group_id, member_id)


@routes.operation(
    "POST",
    "/v1/groups/{group_id}/facilitators",
    allowed=FACILITATOR,
    summary="Share the group with another facilitator",
    body=AddFacilitator,
    response=Roster,
)
def add_facilitator(caller: Caller, group_id: str, body: AddFacilitator) -> Roster:
    entries = services().groups.add_facilitator(caller, group_id, body.facilitator_id)
    return Roster(members=list(entries))


@routes.operation(
    "DELETE",
    "/v1/groups/{group_id}/facilitators/{facilitator_id}",
    allowed=FACILITATOR,
    summary="Take a facilitator off the group (409 for its last one)",
    status=204,
    errors=(409,),
)
def remove_facilitator(caller: Caller, group_id: str, facilitator_id: str) -> None:
    services().groups.remove_facilitator(caller, group_id, facilitator_id)
