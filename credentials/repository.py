"""SQL for stored credentials, pasted-secret references and credential templates.

Functions take a connection: under ``db.as_user`` RLS limits every query to the caller's rows,
and the explicit ``user_id`` conditions keep the same meaning on a service connection.
"""

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from core.db.ids import as_uuid
from credentials.vault import Sealed


@dataclass(frozen=True)
class StoredCredential:
    server: str
    name: str
    sealed: Sealed
    created_at: datetime
    updated_at: datetime


def _stored(row: asyncpg.Record) -> StoredCredential:
    return StoredCredential(
        row["server_slug"],
        row["env_name"],
        Sealed(bytes(row["ciphertext"]), bytes(row["nonce"]), row["key_id"]),
        row["created_at"],
        row["updated_at"],
    )


async def fetch_credentials(
    conn: asyncpg.Connection, user_id: str, servers: list[str] | None = None
) -> list[StoredCredential]:
    rows = await conn.fetch(
        "select server_slug, env_name, ciphertext, nonce, key_id, created_at, updated_at"
        " from public.user_credentials"
        " where user_id = $1 and ($2::text[] is null or server_slug = any($2::text[]))"
        " order by server_slug, env_name",
        as_uuid(user_id),
        servers,
    )
    return [_stored(r) for r in rows]


async def upsert_credential(
    conn: asyncpg.Connection, user_id: str, server: str, name: str, sealed: Sealed
) -> None:
    await conn.execute(
        "insert into public.user_credentials"
        " (user_id, server_slug, env_name, ciphertext, nonce, key_id)"
        " values ($1, $2, $3, $4, $5, $6)"
        " on conflict (user_id, server_slug, env_name) do update set"
        " ciphertext = excluded.ciphertext, nonce = excluded.nonce,"
        " key_id = excluded.key_id, updated_at = now()",
        as_uuid(user_id),
        server,
        name,
        sealed.ciphertext,
        sealed.nonce,
        sealed.key_id,
    )


async def delete_credential(conn: asyncpg.Connection, user_id: str, server: str, name: str) -> bool:
    deleted = await conn.fetchval(
        "delete from public.user_credentials"
        " where user_id = $1 and server_slug = $2 and env_name = $3 returning 1",
        as_uuid(user_id),
        server,
        name,
    )
    return deleted is not None


async def session_context(
    conn: asyncpg.Connection, session_id: str, *, lock: bool = False
) -> dict[str, Any] | None:
    """The session's context, or None when it does not exist (or is not the caller's).

    ``lock`` holds the session row until the transaction ends, so two messages of one session
    cannot hand out the same ``[secret:N]``.
    """
    sid = as_uuid(session_id)
    if sid is None:
        return None
    query = "select context from public.sessions where id = $1" + (" for update" if lock else "")
    row = await conn.fetchrow(query, sid)
    if row is None:
        return None
    context = row["context"]
    return json.loads(context) if isinstance(context, str) else dict(context or {})


async def merge_session_context(
    conn: asyncpg.Connection, session_id: str, patch: dict[str, Any]
) -> None:
    """Set top-level keys of the session context (other keys are left alone)."""
    await conn.execute(
        "update public.sessions set context = context || $2::jsonb where id = $1",
        as_uuid(session_id),
        patch,  # the pool's jsonb codec encodes it
    )


async def fetch_pending_secrets(
    conn: asyncpg.Connection, user_id: str, session_id: str
) -> dict[int, Sealed]:
    rows = await conn.fetch(
        "select ref, ciphertext, nonce, key_id from public.pending_secrets"
        " where user_id = $1 and session_id = $2",
        as_uuid(user_id),
        as_uuid(session_id),
    )
    return {r["ref"]: Sealed(bytes(r["ciphertext"]), bytes(r["nonce"]), r["key_id"]) for r in rows}


async def insert_pending_secret(
    conn: asyncpg.Connection, user_id: str, session_id: str, ref: int, sealed: Sealed
) -> None:
    await conn.execute(
        "insert into public.pending_secrets (session_id, ref, user_id, ciphertext, nonce, key_id)"
        " values ($1, $2, $3, $4, $5, $6)",
        as_uuid(session_id),
        ref,
        as_uuid(user_id),
        sealed.ciphertext,
        sealed.nonce,
        sealed.key_id,
    )


# --- service-side: key checks and rotation ---------------------------------------------------

# Each encrypted table and the columns its ciphertexts are bound to (the AAD context).
_TABLES = {
    "user_credentials": "user_id::text, server_slug, env_name",
    "pending_secrets": "user_id::text, session_id::text, ref::text",
    # OAuth client secrets from dynamic registration (sql/100_oauth.sql), same key ring
    "oauth_clients": "'oauth-client'::text, issuer, client_id",
}
ENCRYPTED_TABLES = tuple(_TABLES)


async def key_ids_in_use(conn: asyncpg.Connection) -> dict[str, int]:
    """{key_id: number of rows} across every encrypted table."""
    rows = await conn.fetch(
        "select key_id, count(*) as n from ("
        " select key_id from public.user_credentials"
        " union all select key_id from public.pending_secrets"
        " union all select key_id from public.oauth_clients) t group by key_id"
    )
    return {r["key_id"]: r["n"] for r in rows}


async def sample_rows(
    conn: asyncpg.Connection, key_id: str
) -> list[tuple[str, tuple[str, ...], Sealed]]:
    """One row per table encrypted with ``key_id``: (table, aad context, sealed)."""
    out = []
    for table, columns in _TABLES.items():
        row = await conn.fetchrow(
            f"select {columns}, ciphertext, nonce, key_id from public.{table}"  # noqa: S608
            " where key_id = $1 limit 1",
            key_id,
        )
        if row is not None:
            out.append((table, tuple(row[:3]), Sealed(bytes(row[3]), bytes(row[4]), row[5])))
    return out


async def rows_not_under(
    conn: asyncpg.Connection, table: str, key_id: str, limit: int
) -> list[tuple[str, tuple[str, ...], Sealed]]:
    """Rows of ``table`` encrypted under another key than ``key_id``, locked for update."""
    rows = await conn.fetch(
        f"select ctid::text as row_ref, {_TABLES[table]}, ciphertext, nonce, key_id"  # noqa: S608
        f" from public.{table} where key_id <> $1 limit $2 for update skip locked",
        key_id,
        limit,
    )
    return [(r[0], tuple(r[1:4]), Sealed(bytes(r[4]), bytes(r[5]), r[6])) for r in rows]


async def update_sealed(conn: asyncpg.Connection, table: str, row_ref: str, sealed: Sealed) -> None:
    await conn.execute(
        f"update public.{table} set ciphertext = $2, nonce = $3, key_id = $4"  # noqa: S608
        " where ctid = $1::text::tid",
        row_ref,
        sealed.ciphertext,
        sealed.nonce,
        sealed.key_id,
    )
