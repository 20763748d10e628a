"""Shared request/response schema bases and field types.

Request schemas forbid unknown fields (the contract's 422); response schemas
describe exactly what is returned, and both feed `/openapi.json`.

Every route module is imported at a cold start, so its schema classes are built then: they
defer their validators to first use (`defer_build`), and the modules that declare them leave
out `from __future__ import annotations`, so pydantic reads each field's type as an object
instead of evaluating a string (about half the cost of building them).
"""

import unicodedata
from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field

from chalicelib.domain.timezones import TimezoneError, zone
from chalicelib.responses import Instant as Instant  # the api's modules import both from here
from chalicelib.responses import ResponseModel as ResponseModel


class RequestModel(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, defer_build=True)


class QueryModel(BaseModel):
    """Query strings: unknown parameters are ignored (caches and trackers add them)."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True, defer_build=True)


class ErrorBody(ResponseModel):
    code: str = Field(description="Stable snake_case error code.")
    message: str = Field(description="Human-readable explanation.")
    fields: dict[str, str] | None = Field(default=None, description="Invalid fields (422 only).")
    resources: list[dict[str, str]] | None = Field(
        default=None, description="Crisis help, when a refused message read as a crisis (403 muted, 429)."
    )


def _no_control_characters(value: str) -> str:
    if any(unicodedata.category(char) in ("Cc", "Cf", "Cs", "Co") for char in value):
        raise ValueError("Control characters are not allowed.")
    return value


PlainText = Annotated[str, AfterValidator(_no_control_characters)]
DisplayName = Annotated[PlainText, Field(min_length=1, max_length=80)]


def _iana(value: str) -> str:
    try:
        zone(value)
    except TimezoneError as exc:
        raise ValueError(str(exc)) from exc
    return value


Timezone = Annotated[str, Field(max_length=64, examples=["America/New_York"]), AfterValidator(_iana)]

EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)


def _within_calendar(value: datetime) -> datetime:
    if not EARLIEST <= value < LATEST:
        raise ValueError("Use a date between the years 2000 and 2199.")
    return value


# An instant a caller gives: dates near year 1 or 9999 would overflow arithmetic on them (422).
GivenInstant = Annotated[AwareDatetime, AfterValidator(_within_calendar)]
