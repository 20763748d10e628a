"""Ops routes, callable only with the admin token."""

from datetime import timedelta

from pydantic import Field

from chalicelib.api.routing import ADMIN, Routes
from chalicelib.api.schemas import DisplayName, GivenInstant, RequestModel, ResponseModel
from chalicelib.domain.contact import ContactError
from chalicelib.domain.identity import Caller
from chalicelib.errors import ValidationError
from chalicelib.services.container import services

routes = Routes(__name__, "admin")

MAX_SWEEP = timedelta(days=7)


class CreateFacilitator(RequestModel):
    display_name: DisplayName
    email: str | None = Field(default=None, max_length=254, description="Where crisis alerts go.")


class FacilitatorCreated(ResponseModel):
    facilitator_id: str
    display_name: str
    token: str = Field(description="Shown once; Hearth keeps only its hash.")


@routes.operation(
    "POST",
    "/v1/admin/facilitators",
    allowed=ADMIN,
    summary="Create a facilitator and return its token once",
    body=CreateFacilitator,
    response=FacilitatorCreated,
    status=201,
)
def create_facilitator(caller: Caller, body: CreateFacilitator) -> FacilitatorCreated:
    try:
        created = services().facilitators.create(body.display_name, body.email)
    except ContactError as exc:
        raise ValidationError({"email": str(exc)}) from exc
    return FacilitatorCreated.model_validate(created)


@routes.operation(
    "DELETE",
    "/v1/admin/facilitators/{facilitator_id}",
    allowed=ADMIN,
    summary="Revoke every token of a facilitator at once",
    status=204,
    errors=(409,),
)
def revoke_facilitator(caller: Caller, facilitator_id: str) -> None:
    services().facilitators.revoke(facilitator_id)


class FacilitatorToken(ResponseModel):
    token: str = Field(description="Shown once; Hearth keeps only its hash. The old token stops working.")


@routes.operation(
    "POST",
    "/v1/admin/facilitators/{facilitator_id}/token",
    allowed=ADMIN,
    summary="Issue a facilitator a new token; the old one stops working",
    response=FacilitatorToken,
    status=201,
    errors=(409,),
)
def reissue_facilitator_token(caller: Caller, facilitator_id: str) -> FacilitatorToken:
    return FacilitatorToken(token=services().facilitators.reissue(facilitator_id))


class SweepWindow(RequestModel):
    from_: GivenInstant | None = Field(default=None, alias="from", description="Default: `to` − 1 minute")
    to: GivenInstant


class SweepResult(ResponseModel):
    enqueued: int


@routes.operation(
    "POST",
    "/v1/admin/reminders/sweep",
    allowed=ADMIN,
    summary="Queue every reminder due in [from, to): catch-up after an outage",
    body=SweepWindow,
    response=SweepResult,
)
def sweep_reminders(caller: Caller, body: SweepWindow) -> SweepResult:
    start = body.from_ or body.to - timedelta(minutes=1)
    if not start < body.to or body.to - start > MAX_SWEEP:
        raise ValidationError({"to": "`to` must be after `from`, at most 7 days later."})
    sweep = services().reminder_sweep
    return SweepResult(enqueued=sweep.sweep(start, body.to, sweep.clock()))  # the sweep's own clock
