"""The web pages (groups directory, join, member room, facilitator console), their assets and
the invite preview the join page reads.

Pages are static files from `chalicelib/web/`: they carry no data, so a link previewer that
fetches `/j/{code}` learns nothing and joins nothing; each page's script calls the `/v1` API.
Every page and asset is sent with a Content-Security-Policy that allows only this origin
(no inline script or style, no third-party anything) and, for `connect-src`, the room's
WebSocket origin alone; it also overrides the API's stricter default set by the HTTP middleware.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

from chalice import Response
from pydantic import Field

from chalicelib.api.routing import ANYONE, Routes
from chalicelib.api.schemas import ResponseModel
from chalicelib.domain.identity import Caller
from chalicelib.services.container import services
from chalicelib.settings import get_settings

routes = Routes(__name__, "web")

WEB_ROOT = Path(__file__).resolve().parent.parent / "web"
HTML = "text/html"


@cache
def page_policy(socket_url: str | None) -> str:
    """The pages' policy: this origin only, plus the origin of the room's socket (if any) to connect to."""
    connect = "'self'"
    if socket_url:
        parts = urlsplit(socket_url)
        connect += f" {parts.scheme}://{parts.netloc}"
    return "; ".join(
        (
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            f"connect-src {connect}",
            "form-action 'self'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
        )
    )


# The only files served under /static/, each on its own route (no path is built from input).
ASSETS = {
    "hearth.css": "text/css",
    "hearth.js": "text/javascript",
    "index.js": "text/javascript",
    "join.js": "text/javascript",
    "room.js": "text/javascript",
    "console.js": "text/javascript",
    "live.js": "text/javascript",
    "qr.js": "text/javascript",
}


@cache
def _file(name: str) -> str:
    return (WEB_ROOT / name).read_text(encoding="utf-8")


def _send(name: str, content_type: str, cache_control: str) -> Response:
    return Response(
        body=_file(name),
        status_code=200,
        headers={
            "Content-Type": f"{content_type}; charset=utf-8",
            "Content-Security-Policy": page_policy(get_settings().websocket_url),
            "Cache-Control": cache_control,
        },
    )


def _page(name: str) -> Response:
    return _send(name, HTML, "no-store")


@routes.operation("GET", "/", allowed=ANYONE, summary="Web: listed groups", content_type=HTML)
def directory_page(caller: Caller) -> Response:
    return _page("index.html")


@routes.operation(
    "GET",
    "/j/{code}",
    allowed=ANYONE,
    summary="Web: join with an invite (never joins on GET)",
    content_type=HTML,
)
def join_page(caller: Caller, code: str) -> Response:
    return _page("join.html")


@routes.operation("GET", "/g/{group_id}", allowed=ANYONE, summary="Web: the member's room", content_type=HTML)
def room_page(caller: Caller, group_id: str) -> Response:
    return _page("room.html")


@routes.operation("GET", "/f", allowed=ANYONE, summary="Web: the facilitator console", content_type=HTML)
def console_page(caller: Caller) -> Response:
    return _page("console.html")


def _asset_route(name: str, content_type: str) -> None:
    def asset(caller: Caller) -> Response:
        return _send(name, content_type, "no-cache")

    asset.__name__ = "asset_" + name.replace(".", "_")
    routes.operation(
        "GET", f"/static/{name}", allowed=ANYONE, summary=f"Web: {name}", content_type=content_type
    )(asset)


for _name, _type in ASSETS.items():  # one route per file: the allow-list is the route table
    _asset_route(_name, _type)


class InvitePreview(ResponseModel):
    code: str
    group_id: str
    name: str
    description: str = Field(description="The group's guidelines")
    topic: str
    full: bool = Field(description="The group has no free seat; joining would be refused")


@routes.operation(
    "GET",
    "/v1/invites/{code}",
    allowed=ANYONE,
    summary="What an invite leads to, before joining (the join page shows it); 410 expired or used up",
    response=InvitePreview,
    errors=(410, 429),
)
def preview_invite(caller: Caller, code: str, client_ip: str | None) -> InvitePreview:
    return InvitePreview.model_validate(services().admission.preview(code, client_ip))
