"""SQL for the user's agents.

Functions take a connection: under ``db.as_user`` RLS limits every query to the caller's rows.
"""

from __future__ import annotations

import json
from typing import Any

import asyncpg

from core.db.ids import as_uuid

_AGENT_COLUMNS = (
    "id, user_id, session_id, name, config, status, error, servers, tools, port, pid,"
    " created_at, updated_at, last_used_at"
)
_UPDATABLE = {
    "status",
    "error",
    "servers",
    "tools",
    "port",
    "pid",
    "config",
    "session_id",
    "last_used_at",
}
_JSON_COLUMNS = {"config", "servers", "tools", "launch", "credentials"}


def _record(row: asyncpg.Record) -> dict[str, Any]:
    """A row as a dict (jsonb decoded even on a connection without the pool's json codec)."""
    out = dict(row)
    for key in _JSON_COLUMNS & out.keys():
        if isinstance(out[key], str):
            out[key] = json.loads(out[key])
    return out


async def save_agent(
    conn: asyncpg.Connection,
    user_id: str,
    session_id: str | None,
    name: str,
    config: dict[str, Any],
    servers: list[dict[str, Any]],
) -> dict[str, Any]:
    """Insert the user's agent, or replace the config of their agent with the same name."""
    existing = await conn.fetchrow(
        "select id from public.agents where user_id = $1 and name = $2 order by created_at limit 1",
        as_uuid(user_id),
        name,
    )
    if existing is not None:
        row = await conn.fetchrow(
            "update public.agents set config = $2::jsonb, servers = $3::jsonb,"
            " tools = '[]'::jsonb,"
            f" session_id = coalesce($4, session_id), error = null, updated_at = now()"
            f" where id = $1 returning {_AGENT_COLUMNS}",
            existing["id"],
            config,
            servers,
            as_uuid(session_id),
        )
    else:
        row = await conn.fetchrow(
            f"insert into public.agents (user_id, session_id, name, config, servers)"
            f" values ($1, $2, $3, $4::jsonb, $5::jsonb) returning {_AGENT_COLUMNS}",
            as_uuid(user_id),
            as_uuid(session_id),
            name,
            config,
            servers,
        )
    return _record(row)


async def get_agent(conn: asyncpg.Connection, agent_id: str) -> dict[str, Any] | None:
    agent_uuid = as_uuid(agent_id)
    if agent_uuid is None:
        return None
    row = await conn.fetchrow(
        f"select {_AGENT_COLUMNS} from public.agents where id = $1", agent_uuid
    )
    return _record(row) if row else None


async def list_agents(conn: asyncpg.Connection, user_id: str) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        f"select {_AGENT_COLUMNS} from public.agents where user_id = $1 order by created_at desc",
        as_uuid(user_id),
    )
    return [_record(r) for r in rows]


async def update_agent(
    conn: asyncpg.Connection, agent_id: str, **fields: Any
) -> dict[str, Any] | None:
    """Set the given columns (a fixed allow-list) and ``updated_at``."""
    unknown = set(fields) - _UPDATABLE
    if unknown:
        raise ValueError(f"not updatable: {sorted(unknown)}")
    sets, values = [], []
    for i, (column, value) in enumerate(fields.items(), start=2):
        if column in _JSON_COLUMNS:
            sets.append(f"{column} = ${i}::jsonb")  # the pool's codec encodes Python values
        else:
            sets.append(f"{column} = ${i}")
        values.append(value)
    sets.append("updated_at = now()")
    row = await conn.fetchrow(
        f"update public.agents set {', '.join(sets)} where id = $1 returning {_AGENT_COLUMNS}",
        as_uuid(agent_id),
        *values,
    )
    return _record(row) if row else None


async def active_agents(conn: asyncpg.Connection) -> list[dict[str, Any]]:
    """Every agent recorded as starting or running (service connection, for reconciling)."""
    rows = await conn.fetch(
        f"select {_AGENT_COLUMNS} from public.agents where status in ('starting', 'running')"
    )
    return [_record(r) for r in rows]


async def session_visible(conn: asyncpg.Connection, session_id: str) -> bool:
    """Whether the chat session exists and, under RLS, belongs to the caller."""
    found = await conn.fetchval("select 1 from public.sessions where id = $1", as_uuid(session_id))
    return found is not None
