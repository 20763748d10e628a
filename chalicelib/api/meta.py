"""Hearth's own routes (OpenAPI tag `service`): health and the API description."""

from __future__ import annotations

from typing import Literal

from chalicelib.api import openapi
from chalicelib.api.routing import ANYONE, Routes, json_response
from chalicelib.api.schemas import ResponseModel
from chalicelib.domain.identity import Caller

routes = Routes(__name__, "service")


class Health(ResponseModel):
    status: Literal["ok"]


@routes.operation("GET", "/health", allowed=ANYONE, summary="Liveness", response=Health)
def health(caller: Caller) -> Health:
    return Health(status="ok")


@routes.operation("GET", "/openapi.json", allowed=ANYONE, summary="This API, as OpenAPI 3")
def openapi_document(caller: Caller) -> object:
    return json_response(200, openapi.document())
