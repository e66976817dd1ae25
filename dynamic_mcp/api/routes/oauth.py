"""HTTP routes for OAuth connect: the Connect link, the callback, connections, client metadata.

``/api/oauth/start/{ticket}`` and ``/api/oauth/callback`` are opened by the browser itself (no
bearer token), so they answer with small HTML pages in words; the state and an HttpOnly cookie
set by ``start`` tie the callback to the browser and the user that began.
"""

import html
import re
import secrets
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BaseModel, Field

from core.errors import AppError, error_responses
from dynamic_mcp.api.deps import DB, AppSettings, CurrentUser
from oauth import service
from oauth.clients import metadata_document
from oauth.errors import OAuthError

router = APIRouter(tags=["oauth"], responses=error_responses(401, 500))

COOKIE = "dmcp_oauth_browser"
_COOKIE_RE = re.compile(r"^[A-Za-z0-9_-]{32,64}$")


class ConnectIn(BaseModel):
    server: str = Field(min_length=1, max_length=100)
    session_id: str | None = Field(default=None, max_length=64)


class ConnectOut(BaseModel):
    server: str
    connect_url: str
    expires_in: int


class ConnectionOut(BaseModel):
    server: str
    status: str
    scope: str | None
    expires_at: datetime | None
    error: str | None


class ConnectionList(BaseModel):
    items: list[ConnectionOut]


@router.get(
    "/api/oauth/client-metadata.json", summary="This service's OAuth Client ID Metadata Document"
)
async def client_metadata(settings: AppSettings) -> dict[str, Any]:
    return metadata_document(settings)


@router.post(
    "/api/oauth/connect",
    response_model=ConnectOut,
    summary="A single-use Connect link for an OAuth server",
    responses=error_responses(404, 422),
)
async def connect(
    body: ConnectIn, user: CurrentUser, db: DB, settings: AppSettings
) -> dict[str, Any]:
    async with db.as_user(user.claims) as conn:
        url = await service.connect_link(conn, settings, user.id, body.session_id, body.server)
    return {
        "server": body.server,
        "connect_url": url,
        "expires_in": settings.oauth_state_ttl_seconds,
    }


def _page(
    title: str, message: str, status: int, data: dict[str, str] | None = None
) -> HTMLResponse:
    attributes = "".join(f' data-{k}="{html.escape(v)}"' for k, v in (data or {}).items())
    body = (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        f"<title>{html.escape(title)}</title><link rel=stylesheet href=/app/app.css></head>"
        f"<body><main id=oauth-result{attributes}><h1>{html.escape(title)}</h1>"
        f"<p>{html.escape(message)}</p></main>"
        "<script src=/app/oauth-done.js></script></body></html>"
    )
    return HTMLResponse(body, status_code=status, headers={"Cache-Control": "no-store"})


@router.get("/api/oauth/start/{ticket}", include_in_schema=False)
async def start(ticket: str, request: Request, db: DB, settings: AppSettings) -> Response:
    browser = request.cookies.get(COOKIE) or ""
    if not _COOKIE_RE.match(browser):
        browser = secrets.token_urlsafe(32)
    try:
        url = await service.begin(db, settings, ticket[:200], browser)
    except OAuthError as error:
        return _page("Could not connect", error.message, error.status)
    response = RedirectResponse(url, status_code=302)
    response.set_cookie(
        COOKIE,
        browser,
        max_age=settings.oauth_state_ttl_seconds,
        httponly=True,
        secure=request.url.scheme == "https",
        samesite="lax",  # sent on the authorization server's top-level redirect back to us
        path="/api/oauth",
    )
    return response


@router.get("/api/oauth/callback", include_in_schema=False)
async def callback(request: Request, db: DB, settings: AppSettings) -> HTMLResponse:
    params = {k: v[:2000] for k, v in request.query_params.items()}
    try:
        done = await service.complete(db, settings, params, request.cookies.get(COOKIE))
    except OAuthError as error:
        return _page("Could not connect", error.message, error.status)
    data = {"status": "connected", "server": done.server, "name": done.name}
    if done.session_id:
        data["session"] = done.session_id
    return _page(
        f"{done.name} is connected",
        "You can close this window and go back to the chat.",
        200,
        data,
    )


@router.get(
    "/api/oauth/connections", response_model=ConnectionList, summary="The user's OAuth connections"
)
async def list_connections(user: CurrentUser, db: DB) -> dict[str, Any]:
    async with db.as_user(user.claims) as conn:
        return {"items": await service.connections(conn, user.id)}


@router.delete(
    "/api/oauth/connections/{server}",
    status_code=204,
    summary="Disconnect: revoke the tokens where the server supports it, then forget them",
    responses=error_responses(404, 422, 429),
)
async def disconnect(server: str, user: CurrentUser, db: DB, settings: AppSettings) -> Response:
    async with db.as_user(user.claims) as conn:
        if not await service.disconnect(conn, settings, user.id, server):
            raise AppError(404, "not_found", "No OAuth connection for this server")
    return Response(status_code=204)
