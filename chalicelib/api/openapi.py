"""The OpenAPI 3.1 document, generated from the declared operations and schemas."""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from chalicelib.api.routing import ANYONE, JSON, OPERATIONS, Operation
from chalicelib.api.schemas import ErrorBody

REF = "#/components/schemas/{model}"

_REASONS = {
    400: "Malformed request",
    401: "Missing or invalid token",
    403: "Not allowed",
    404: "Not found",
    409: "Conflict",
    410: "Gone",
    413: "Body too large",
    415: "Unsupported media type",
    422: "Invalid fields",
    425: "Too early",
    429: "Rate limited",
}


def _schemas(operations: list[Operation]) -> dict[str, Any]:
    models: list[tuple[type[BaseModel], str]] = [(ErrorBody, "serialization")]
    for op in operations:
        if op.body is not None:
            models.append((op.body, "validation"))
        if op.response is not None:
            models.append((op.response, "serialization"))
    unique = list(dict.fromkeys(models))
    _, definitions = models_json_schema(unique, ref_template=REF)
    return definitions.get("$defs", {})


def _query_parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    schema = model.model_json_schema(ref_template=REF)
    required = set(schema.get("required", []))
    return [
        {"name": name, "in": "query", "required": name in required, "schema": prop}
        for name, prop in schema.get("properties", {}).items()
    ]


def _operation_id(op: Operation) -> str:
    words = re.sub(r"[^a-z0-9]+", "_", op.path.lower()).strip("_")
    return f"{op.method.lower()}_{words}"


def _operation(op: Operation) -> dict[str, Any]:
    parameters: list[dict[str, Any]] = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string", "minLength": 1}}
        for name in op.path_params
    ]
    if op.query is not None:
        parameters.extend(_query_parameters(op.query))
    success: dict[str, Any] = {"description": op.summary}
    if op.response is not None:
        success["content"] = {op.content_type: {"schema": {"$ref": REF.format(model=op.response.__name__)}}}
    elif op.status != 204:
        schema = {"type": "object"} if op.content_type == JSON else {"type": "string"}
        success["content"] = {op.content_type: {"schema": schema}}
    responses: dict[str, Any] = {str(op.status): success}
    error = {"content": {JSON: {"schema": {"$ref": REF.format(model="ErrorBody")}}}}
    for status in op.error_statuses:
        responses[str(status)] = {"description": _REASONS.get(status, "Error"), **error}
    responses["429"]["headers"] = {
        "Retry-After": {"description": "Seconds to wait before trying again", "schema": {"type": "integer"}}
    }
    document: dict[str, Any] = {
        "operationId": _operation_id(op),
        "summary": op.summary,
        "tags": list(op.tags),
        "responses": responses,
    }
    if parameters:
        document["parameters"] = parameters
    if op.body is not None:
        document["requestBody"] = {
            "required": True,
            "content": {JSON: {"schema": {"$ref": REF.format(model=op.body.__name__)}}},
        }
    document["security"] = [{}, {"bearer": []}] if op.allowed == ANYONE else [{"bearer": []}]
    return document


@cache
def document() -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for op in OPERATIONS:
        paths.setdefault(op.path, {})[op.method.lower()] = _operation(op)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Hearth",
            "version": "1",
            "description": "Anonymous, facilitator-led online support groups.",
        },
        "paths": paths,
        "components": {
            "schemas": _schemas(OPERATIONS),
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }
