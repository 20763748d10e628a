"""Declaring HTTP operations: one decorator does auth, parsing, errors and rendering.

Each operation names who may call it and its request/response schemas. The same
declaration registers the Chalice route and feeds `/openapi.json`, so the
document cannot drift from the routes. Views receive the `caller`, path
parameters and parsed `body`/`query`, call one service, and return a schema
instance (or None for 204).
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from chalice import Blueprint, CORSConfig, Response
from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError

from chalicelib.domain.identity import Role, parse_bearer
from chalicelib.errors import (
    DEPENDENCY_FAILURES,
    BadRequestError,
    DependencyError,
    HearthError,
    PayloadTooLargeError,
    ValidationError,
    to_http,
)
from chalicelib.observability import log_unexpected
from chalicelib.services.auth import Authenticator, require
from chalicelib.settings import get_settings

ANYONE = frozenset({Role.ANONYMOUS})
ADMIN = frozenset({Role.ADMIN})
FACILITATOR = frozenset({Role.FACILITATOR})
MEMBER = frozenset({Role.MEMBER})
MEMBER_OR_FACILITATOR = frozenset({Role.MEMBER, Role.FACILITATOR})

JSON = "application/json"


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    summary: str
    allowed: frozenset[Role]
    body: type[BaseModel] | None
    query: type[BaseModel] | None
    response: type[BaseModel] | None
    status: int
    errors: tuple[int, ...]
    content_type: str = JSON
    tags: tuple[str, ...] = field(default_factory=tuple)

    @property
    def path_params(self) -> list[str]:
        return [part[1:-1] for part in self.path.split("/") if part.startswith("{")]

    @property
    def error_statuses(self) -> list[int]:
        statuses = set(self.errors) | {429}  # the gateway's stage throttle and WAF answer any route
        if self.allowed != ANYONE:
            statuses |= {401, 403}
        else:
            statuses.add(401)  # a malformed or unknown token is refused even here
        if self.body is not None:
            statuses |= {400, 413, 415, 422}
        if self.query is not None or self.path_params:
            statuses.add(422)
        if self.path_params:
            statuses.add(404)
        return sorted(statuses)


OPERATIONS: list[Operation] = []


@cache
def _authenticator() -> Authenticator:
    return Authenticator()


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    return Response(
        body=json.dumps(body, ensure_ascii=False, separators=(",", ":")),
        status_code=status,
        headers={"Content-Type": f"{JSON}; charset=utf-8", **(headers or {})},
    )


def error_response(exc: HearthError) -> Response:
    status, headers, body = to_http(exc)
    return json_response(status, body, headers)


def _fields(exc: PydanticValidationError) -> dict[str, str]:
    fields: dict[str, str] = {}
    for problem in exc.errors(include_url=False, include_input=False):
        name = ".".join(str(part) for part in problem["loc"]) or "body"
        if problem["type"] == "extra_forbidden":
            message = "Unknown field."
        else:
            message = problem["msg"].removeprefix("Value error, ")
        fields.setdefault(name, message)
    return fields


def validate(model: type[BaseModel], data: Any) -> Any:
    """`data` as `model`, or a 422 naming each bad field."""
    try:
        return model.model_validate(data)
    except PydanticValidationError as exc:
        raise ValidationError(_fields(exc)) from exc


def parse_json_body(raw: bytes | str | None, model: type[BaseModel]) -> Any:
    raw = raw or b""
    size = len(raw.encode("utf-8") if isinstance(raw, str) else raw)
    if size > get_settings().max_body_bytes:
        raise PayloadTooLargeError()
    if not raw.strip():
        data: Any = {}
    else:
        try:
            data = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            raise BadRequestError("The body is not valid JSON.", code="malformed_json") from exc
        except RecursionError as exc:  # nesting deeper than any request of this API needs
            raise BadRequestError("The body is nested too deeply.", code="malformed_json") from exc
    return validate(model, data)


class Routes:
    """A Chalice blueprint whose routes are declared as `Operation`s."""

    def __init__(self, import_name: str, tag: str) -> None:
        self.blueprint = Blueprint(import_name)
        self.tag = tag

    def operation(
        self,
        method: str,
        path: str,
        *,
        allowed: Iterable[Role],
        summary: str,
        body: type[BaseModel] | None = None,
        query: type[BaseModel] | None = None,
        response: type[BaseModel] | None = None,
        status: int = 200,
        errors: Iterable[int] = (),
        content_type: str = JSON,
        public_cors: bool = False,
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Declare an operation; `public_cors` lets pages on any site read it (and preflight it)."""
        op = Operation(
            method=method.upper(),
            path=path,
            summary=summary,
            allowed=frozenset(allowed),
            body=body,
            query=query,
            response=response,
            status=status,
            errors=tuple(errors),
            content_type=content_type,
            tags=(self.tag,),
        )
        OPERATIONS.append(op)

        def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
            wants_ip = "client_ip" in inspect.signature(view).parameters

            def handler(**path_params: str) -> Response:
                return self._handle(op, view, path_params, wants_ip)

            handler.__name__ = view.__name__
            handler.__doc__ = view.__doc__
            cors = CORSConfig(allow_origin="*", max_age=86400) if public_cors else None
            self.blueprint.route(path, methods=[op.method], cors=cors)(handler)
            return view

        return decorator

    def _handle(
        self, op: Operation, view: Callable[..., Any], path_params: dict[str, str], wants_ip: bool = False
    ) -> Response:
        request = self.blueprint.current_request
        try:
            caller = _authenticator().caller(parse_bearer(request.headers.get("authorization")))
            require(caller, op.allowed)
            kwargs: dict[str, Any] = dict(path_params)
            if op.body is not None:
                kwargs["body"] = parse_json_body(request.raw_body, op.body)
            if op.query is not None:
                kwargs["query"] = validate(op.query, dict(request.query_params or {}))
            if wants_ip:
                kwargs["client_ip"] = (request.context.get("identity") or {}).get("sourceIp")
            result = view(caller=caller, **kwargs)
        except HearthError as exc:
            if exc.status >= 500:  # with the cause (a configuration error's says which setting)
                log_unexpected(op.method, op.path)
            return error_response(exc)
        except DEPENDENCY_FAILURES:  # an adapter that forgot to translate: still a 503
            log_unexpected(op.method, op.path)
            return error_response(DependencyError())
        except Exception:  # the contract's 500 body; the cause goes to the log, not the caller
            log_unexpected(op.method, op.path)
            return error_response(HearthError())
        return _render(op, result)


def _render(op: Operation, result: Any) -> Response:
    if isinstance(result, Response):
        return result
    if result is None:
        return Response(body="", status_code=op.status if op.status != 200 else 204)
    if op.response is not None and not isinstance(result, op.response):
        result = op.response.model_validate(result)
    body = result.model_dump(mode="json") if isinstance(result, BaseModel) else result
    return json_response(op.status, body)
