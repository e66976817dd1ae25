"""OAuth connect use cases for the routes, the chat tools and the agent starter."""

from collections.abc import Mapping
from typing import Any

import asyncpg

from core.config import Settings
from core.db.database import Database
from core.db.ids import as_uuid
from core.errors import AppError
from oauth import repository
from oauth.flow import begin, complete, new_ticket
from oauth.tokens import disconnect, ensure_fresh

__all__ = [
    "begin",
    "complete",
    "connect_link",
    "connection_states",
    "connections",
    "disconnect",
    "ensure_fresh",
    "require_fresh",
]


async def connect_link(
    conn: asyncpg.Connection, settings: Settings, user_id: str, session_id: str | None, server: str
) -> str:
    """A single-use Connect URL for a remote catalog server that accepts OAuth."""
    entry = await repository.server_endpoint(conn, server)
    if entry is None or entry["auth"] != "oauth" or not entry["url"]:
        raise AppError(
            404, "not_an_oauth_server", f"{server[:100]!r} is not a catalog server that uses OAuth."
        )
    if session_id is not None:
        owned = await conn.fetchval(
            "select 1 from public.sessions where id = $1", as_uuid(session_id)
        )  # RLS: another user's session is invisible
        if owned is None:
            raise AppError(404, "not_found", "Session not found")
    return await new_ticket(conn, settings, user_id, session_id, server)


async def connections(conn: asyncpg.Connection, user_id: str) -> list[dict[str, Any]]:
    """The user's connections: status, scope, access-token expiry, last error (no tokens)."""
    return [
        {
            "server": r["server_slug"],
            "status": r["status"],
            "scope": r["scope"],
            "expires_at": r["expires_at"],
            "error": r["error"],
        }
        for r in await repository.get_connections(conn, user_id)
    ]


async def connection_states(
    conn: asyncpg.Connection, user_id: str, servers: list[str]
) -> dict[str, str]:
    """{server: "connected" | "needs_reauthorization"} for the given servers the user connected."""
    rows = await repository.get_connections(conn, user_id, servers)
    return {r["server_slug"]: r["status"] for r in rows}


async def require_fresh(
    db: Database, settings: Settings, claims: Mapping[str, Any], user_id: str, servers: list[str]
) -> None:
    """Before an agent starts: refresh tokens close to expiry; 409 naming the servers the user
    must connect again when a refresh is refused (that mark is committed before raising)."""
    async with db.as_user(claims) as conn:
        lost = await ensure_fresh(conn, settings, user_id, servers)
    if lost:
        raise AppError(
            409,
            "oauth_reauthorization_needed",
            f"Connect again: {', '.join(lost)} no longer accepts the saved sign-in.",
            {"servers": lost},
        )


async def connect_offers(
    conn: asyncpg.Connection,
    settings: Settings,
    user_id: str,
    session_id: str | None,
    servers: list[str],
) -> dict[str, dict[str, Any]]:
    """For each OAuth server among ``servers``: its connection status and, unless connected, a
    fresh single-use Connect link (for the user's page only, never for the model)."""
    states = await connection_states(conn, user_id, servers)
    offers: dict[str, dict[str, Any]] = {}
    for slug in servers:
        entry = await repository.server_endpoint(conn, slug)
        if entry is None or entry["auth"] != "oauth" or not entry["url"]:
            continue
        status = states.get(slug, "not_connected")
        offer: dict[str, Any] = {"name": entry["name"], "status": status}
        if status != "connected":
            offer["connect_url"] = await new_ticket(conn, settings, user_id, session_id, slug)
        offers[slug] = offer
    return offers
