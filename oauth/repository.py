"""SQL for OAuth client registrations, authorizations in progress and users' connections.

Functions take a connection: under ``db.as_user`` RLS limits rows to the caller's, and the
explicit ``user_id`` conditions keep the same meaning on a service connection (the browser's
redirect back from the authorization server carries no bearer token, only the state).
"""

from datetime import datetime
from typing import Any

import asyncpg

from core.db.ids import as_uuid
from credentials.vault import Sealed


async def get_client(
    conn: asyncpg.Connection, issuer: str, redirect_uri: str
) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "select client_id, method, token_endpoint_auth_method, ciphertext, nonce, key_id"
        " from public.oauth_clients where issuer = $1 and redirect_uri = $2",
        issuer,
        redirect_uri,
    )


async def save_client(
    conn: asyncpg.Connection,
    issuer: str,
    redirect_uri: str,
    client_id: str,
    method: str,
    auth_method: str,
    sealed: Sealed,
) -> None:
    await conn.execute(
        "insert into public.oauth_clients (issuer, redirect_uri, client_id, method,"
        " token_endpoint_auth_method, ciphertext, nonce, key_id)"
        " values ($1, $2, $3, $4, $5, $6, $7, $8)"
        " on conflict (issuer, redirect_uri) do update set client_id = excluded.client_id,"
        " method = excluded.method,"
        " token_endpoint_auth_method = excluded.token_endpoint_auth_method,"
        " ciphertext = excluded.ciphertext, nonce = excluded.nonce, key_id = excluded.key_id,"
        " created_at = now()",
        issuer,
        redirect_uri,
        client_id,
        method,
        auth_method,
        sealed.ciphertext,
        sealed.nonce,
        sealed.key_id,
    )


async def client_secret_row(
    conn: asyncpg.Connection, issuer: str, client_id: str
) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "select token_endpoint_auth_method, ciphertext, nonce, key_id from public.oauth_clients"
        " where issuer = $1 and client_id = $2 limit 1",
        issuer,
        client_id,
    )


async def insert_ticket(
    conn: asyncpg.Connection,
    user_id: str,
    session_id: str | None,
    server: str,
    ticket_hash: str,
    expires_at: datetime,
) -> None:
    """A new single-use ticket; the user's expired requests are dropped on the way."""
    await conn.execute(
        "delete from public.oauth_requests where user_id = $1 and expires_at < now()",
        as_uuid(user_id),
    )
    await conn.execute(
        "insert into public.oauth_requests"
        " (user_id, session_id, server_slug, ticket_hash, expires_at)"
        " values ($1, $2, $3, $4, $5)",
        as_uuid(user_id),
        as_uuid(session_id) if session_id else None,
        server,
        ticket_hash,
        expires_at,
    )


async def take_ticket(conn: asyncpg.Connection, ticket_hash: str) -> asyncpg.Record | None:
    """The live request holding this ticket, with the ticket spent (it works once)."""
    return await conn.fetchrow(
        "update public.oauth_requests set ticket_hash = null"
        " where ticket_hash = $1 and expires_at > now()"
        " returning id, user_id, session_id, server_slug",
        ticket_hash,
    )


async def bind_request(conn: asyncpg.Connection, request_id: Any, fields: dict[str, Any]) -> None:
    """Record the state, verifier and authorization server chosen when the browser arrived."""
    columns = list(fields)
    assignments = ", ".join(f"{c} = ${i + 2}" for i, c in enumerate(columns))
    await conn.execute(
        f"update public.oauth_requests set {assignments} where id = $1",  # noqa: S608 (our names)
        request_id,
        *fields.values(),
    )


async def take_state(conn: asyncpg.Connection, state_hash: str) -> asyncpg.Record | None:
    """The request for this state, deleted in the same statement: a state works once."""
    return await conn.fetchrow(
        "delete from public.oauth_requests where state_hash = $1 returning *", state_hash
    )


async def upsert_connection(
    conn: asyncpg.Connection, user_id: str, server: str, fields: dict[str, Any]
) -> None:
    await conn.execute(
        "insert into public.oauth_connections (user_id, server_slug, issuer, client_id, resource,"
        " scope, token_endpoint, revocation_endpoint, expires_at, status, error)"
        " values ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'connected', null)"
        " on conflict (user_id, server_slug) do update set issuer = excluded.issuer,"
        " client_id = excluded.client_id, resource = excluded.resource, scope = excluded.scope,"
        " token_endpoint = excluded.token_endpoint,"
        " revocation_endpoint = excluded.revocation_endpoint, expires_at = excluded.expires_at,"
        " status = 'connected', error = null, updated_at = now()",
        as_uuid(user_id),
        server,
        fields["issuer"],
        fields["client_id"],
        fields["resource"],
        fields.get("scope"),
        fields["token_endpoint"],
        fields.get("revocation_endpoint"),
        fields.get("expires_at"),
    )


async def get_connections(
    conn: asyncpg.Connection, user_id: str, servers: list[str] | None = None, *, lock: bool = False
) -> list[asyncpg.Record]:
    """The user's connections; ``lock`` holds them until commit (one refresh at a time)."""
    rows: list[asyncpg.Record] = await conn.fetch(
        "select * from public.oauth_connections where user_id = $1"
        " and ($2::text[] is null or server_slug = any($2::text[])) order by server_slug"
        + (" for update" if lock else ""),
        as_uuid(user_id),
        servers,
    )
    return rows


async def set_expiry(
    conn: asyncpg.Connection, user_id: str, server: str, expires_at: datetime | None
) -> None:
    await conn.execute(
        "update public.oauth_connections set expires_at = $3, status = 'connected', error = null,"
        " updated_at = now() where user_id = $1 and server_slug = $2",
        as_uuid(user_id),
        server,
        expires_at,
    )


async def mark_needs_reauthorization(
    conn: asyncpg.Connection, user_id: str, server: str, error: str
) -> None:
    await conn.execute(
        "update public.oauth_connections set status = 'needs_reauthorization', error = $3,"
        " updated_at = now() where user_id = $1 and server_slug = $2",
        as_uuid(user_id),
        server,
        error,
    )


async def delete_connection(
    conn: asyncpg.Connection, user_id: str, server: str
) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "delete from public.oauth_connections where user_id = $1 and server_slug = $2 returning *",
        as_uuid(user_id),
        server,
    )


async def expiring(conn: asyncpg.Connection, before: datetime) -> list[asyncpg.Record]:
    """Service-side: connected users' connections whose access token expires before ``before``."""
    rows: list[asyncpg.Record] = await conn.fetch(
        "select user_id, server_slug, expires_at from public.oauth_connections"
        " where status = 'connected' and expires_at is not null and expires_at < $1",
        before,
    )
    return rows


async def server_endpoint(conn: asyncpg.Connection, slug: str) -> asyncpg.Record | None:
    """A live catalog server's name, remote URL (None for stdio) and auth kind."""
    return await conn.fetchrow(
        "select slug, name, launch->>'url' as url, entry->>'auth' as auth"
        " from public.mcp_servers where slug = $1 and retired_at is null",
        slug,
    )
