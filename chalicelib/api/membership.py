"""Joining (and the invite preview before it), the member's own profile, contact details and leaving."""

from typing import Literal, Self

from pydantic import Field, model_validator

from chalicelib.api.routing import ANYONE, MEMBER, Routes
from chalicelib.api.schemas import RequestModel, ResponseModel, Timezone
from chalicelib.domain import preferences
from chalicelib.domain.identity import Caller
from chalicelib.errors import ValidationError
from chalicelib.responses import (
    Device,
    InvitePreview,
    Joined,
    Me,
    QuietHours,
)
from chalicelib.services.container import services

routes = Routes(__name__, "membership")


class JoinRequest(RequestModel):
    code: str = Field(min_length=1, max_length=32)
    handle: str | None = Field(default=None, min_length=1, max_length=64)
    timezone: Timezone | None = None


class Reminders(RequestModel):
    channels: list[Literal["sms", "email"]] = Field(max_length=2)
    lead_minutes: list[int] = Field(min_length=1, max_length=3, examples=[[1440, 60]])
    quiet_hours: QuietHours | None = None


class UpdateMe(RequestModel):
    handle: str | None = Field(default=None, min_length=1, max_length=64)
    timezone: Timezone | None = None
    reminders: Reminders | None = None
    country: str | None = Field(default=None, pattern=r"^[A-Za-z]{2}$", examples=["DE"])


class PutContact(RequestModel):
    phone: str | None = Field(default=None, min_length=1, max_length=32, description="null removes it")
    email: str | None = Field(default=None, min_length=1, max_length=254, description="null removes it")

    @model_validator(mode="after")
    def _phone_or_email(self) -> Self:
        if not self.model_fields_set:
            raise ValueError("Give a phone and/or an email.")
        return self


class VerifyContact(RequestModel):
    channel: Literal["sms", "email"]
    code: str = Field(pattern=r"^\d{6}$")


class CalendarToken(ResponseModel):
    calendar_url: str


def _reminders(given: Reminders) -> preferences.ReminderPreferences:
    try:
        return preferences.validate(
            list(given.channels),
            list(given.lead_minutes),
            None if given.quiet_hours is None else given.quiet_hours.model_dump(),
        )
    except preferences.PreferenceError as exc:
        raise ValidationError({f"reminders.{exc.field}": str(exc)}) from exc


@routes.operation(
    "POST",
    "/v1/join",
    allowed=ANYONE,
    summary="Join a group with an invite code",
    body=JoinRequest,
    response=Joined,
    status=201,
    errors=(403, 404, 409, 410, 429),
)
def join(caller: Caller, body: JoinRequest, client_ip: str | None) -> Joined:
    joined = services().admission.join(caller, body.code, body.handle, body.timezone, client_ip)
    return joined


@routes.operation(
    "GET",
    "/v1/invites/{code}",
    allowed=ANYONE,
    summary="What an invite leads to, before joining (the join page shows it); 410 expired or used up",
    response=InvitePreview,
    errors=(410, 429),
)
def preview_invite(caller: Caller, code: str, client_ip: str | None) -> InvitePreview:
    return services().admission.preview(code, client_ip)


@routes.operation("GET", "/v1/me", allowed=MEMBER, summary="The member's own profile", response=Me)
def get_me(caller: Caller) -> Me:
    return services().membership.me(caller)


@routes.operation(
    "PATCH",
    "/v1/me",
    allowed=MEMBER,
    summary="Change handle, time zone, reminders or country",
    body=UpdateMe,
    response=Me,
    errors=(409,),
)
def update_me(caller: Caller, body: UpdateMe) -> Me:
    reminders = None if body.reminders is None else _reminders(body.reminders)
    view = services().membership.update(
        caller, handle=body.handle, timezone=body.timezone, reminders=reminders, country=body.country
    )
    return view


@routes.operation("DELETE", "/v1/me", allowed=MEMBER, summary="Leave the group and erase my data", status=204)
def erase_me(caller: Caller) -> None:
    services().membership.erase(caller)


@routes.operation(
    "PUT",
    "/v1/me/contact",
    allowed=MEMBER,
    summary="Set or remove a phone and/or email; each new one gets a verification code",
    body=PutContact,
    response=Me,
    status=202,
    errors=(429,),
)
def put_contact(caller: Caller, body: PutContact, client_ip: str | None) -> Me:
    names = {"phone": "sms", "email": "email"}
    changes = {names[name]: getattr(body, name) for name in body.model_fields_set}
    return services().contact.set(caller, changes, client_ip=client_ip)


@routes.operation(
    "POST",
    "/v1/me/contact/verify",
    allowed=MEMBER,
    summary="Verify a phone or email with its code",
    body=VerifyContact,
    response=Me,
    errors=(409, 410),
)
def verify_contact(caller: Caller, body: VerifyContact) -> Me:
    return services().contact.verify(caller, body.channel, body.code)


@routes.operation(
    "POST",
    "/v1/me/calendar-token",
    allowed=MEMBER,
    summary="A new secret calendar URL; the old one stops working",
    response=CalendarToken,
)
def rotate_calendar_token(caller: Caller) -> CalendarToken:
    return CalendarToken(calendar_url=services().membership.rotate_calendar_token(caller))


class Unsubscribed(ResponseModel):
    unsubscribed: bool


@routes.operation(
    "POST",
    "/v1/unsubscribe/{token}",
    allowed=ANYONE,
    summary="One-click unsubscribe from reminder emails (RFC 8058); the token comes in each email",
    response=Unsubscribed,
)
def unsubscribe(caller: Caller, token: str) -> Unsubscribed:
    services().membership.unsubscribe_link(token, "email")
    return Unsubscribed(unsubscribed=True)


class SignIn(RequestModel):
    login: str = Field(min_length=16, max_length=64, description="The secret after #login= in the link")


@routes.operation(
    "POST",
    "/v1/login",
    allowed=ANYONE,
    summary="Exchange a one-time sign-in link for a token of a new device; other devices stay signed in",
    body=SignIn,
    response=Joined,
    errors=(409, 410),
)
def sign_in(caller: Caller, body: SignIn) -> Joined:
    return services().devices.sign_in(body.login)


class SignInLink(RequestModel):
    channel: Literal["sms", "email"]


@routes.operation(
    "POST",
    "/v1/me/sign-in-link",
    allowed=MEMBER,
    summary="Send a one-time link that signs another device in, to a verified phone or email",
    body=SignInLink,
    status=202,
    errors=(409, 429),
)
def send_sign_in_link(caller: Caller, body: SignInLink) -> None:
    services().devices.send_link(caller, body.channel)


class Devices(ResponseModel):
    devices: list[Device]


@routes.operation(
    "GET",
    "/v1/me/devices",
    allowed=MEMBER,
    summary="The devices signed in to this membership",
    response=Devices,
)
def list_devices(caller: Caller) -> Devices:
    return Devices(devices=list(services().devices.devices(caller)))


@routes.operation(
    "DELETE",
    "/v1/me/devices/{device_id}",
    allowed=MEMBER,
    summary="Sign one device out: its token stops working",
    status=204,
    errors=(404, 409),
)
def sign_out_device(caller: Caller, device_id: str) -> None:
    services().devices.sign_out(caller, device_id)
