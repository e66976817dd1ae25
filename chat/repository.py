"""SQL for chat sessions and messages. Every function runs on a connection from ``db.as_user``,
so row level security limits it to the signed-in user's rows."""

from __future__ import annotations

import base64
import json
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from core.errors import AppError
from orchestrator.loop import text_of

Row = dict[str, Any]


def encode_cursor(*values: Any) -> str:
    raw = json.dumps([v.isoformat() if isinstance(v, datetime) else v for v in values])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, size: int) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(values, list) or len(values) != size:
            raise ValueError(cursor)
        return values
    except ValueError as exc:
        raise AppError(
            400, "invalid_cursor", "The cursor is invalid; start from the first page."
        ) from exc


async def fast_commit(conn: asyncpg.Connection) -> None:
    """Commit this transaction without waiting for the WAL flush (asynchronous commit).

    A chat write then costs no disk sync: a crash may lose the last fraction of a second of
    messages but never corrupts or half-applies a transaction, which is the right trade for
    chat history (credentials and agents keep synchronous commits).
    """
    await conn.execute("set local synchronous_commit = off")


async def create_session(conn: asyncpg.Connection, title: str) -> Row:
    row = await conn.fetchrow(
        "insert into sessions (title) values ($1) returning id, title, created_at, updated_at",
        title,
    )
    return dict(row)


async def get_session(conn: asyncpg.Connection, session_id: UUID) -> Row | None:
    row = await conn.fetchrow(
        "select id, title, context, created_at, updated_at from sessions where id = $1",
        session_id,
    )
    return dict(row) if row else None


async def add_messages(
    conn: asyncpg.Connection, session_id: UUID, messages: list[dict[str, Any]]
) -> list[Row]:
    """Insert messages in order and mark the session as updated.

    Updating the session row first locks it, so concurrent turns in one session append their
    messages one batch after the other: a tool_use and its tool_result stay adjacent.
    """
    await conn.execute("update sessions set updated_at = now() where id = $1", session_id)
    rows = []
    for message in messages:
        row = await conn.fetchrow(
            "insert into chat_messages (session_id, role, content) values ($1, $2, $3)"
            " returning id, role, content, created_at",
            session_id,
            message["role"],
            message["content"],
        )
        rows.append(dict(row))
    return rows


async def recent_messages(conn: asyncpg.Connection, session_id: UUID, limit: int) -> list[Row]:
    """The session's last ``limit`` messages, oldest first."""
    rows = await conn.fetch(
        "select role, content from (select id, role, content from chat_messages"
        " where session_id = $1 order by id desc limit $2) recent order by id",
        session_id,
        limit,
    )
    return [dict(row) for row in rows]


async def list_messages(
    conn: asyncpg.Connection, session_id: UUID, limit: int, cursor: str | None
) -> tuple[list[Row], str | None]:
    """A page of a session's messages, oldest first; the cursor is the last id seen."""
    after = decode_cursor(cursor, 1)[0] if cursor else 0
    # a bigint id: anything else (a bool, a float, 2**63) is not a cursor we handed out
    if isinstance(after, bool) or not isinstance(after, int) or not 0 <= after < 2**63:
        raise AppError(400, "invalid_cursor", "The cursor is invalid.")
    rows = await conn.fetch(
        "select id, role, content, created_at from chat_messages"
        " where session_id = $1 and id > $2 order by id limit $3",
        session_id,
        after,
        limit + 1,
    )
    items = [dict(row) for row in rows[:limit]]
    next_cursor = encode_cursor(items[-1]["id"]) if len(rows) > limit else None
    return items, next_cursor


async def list_sessions(
    conn: asyncpg.Connection, limit: int, cursor: str | None
) -> tuple[list[Row], str | None]:
    """A page of the user's sessions, newest first, each with its last message."""
    created_at, last_id = None, None
    if cursor:
        created, last = decode_cursor(cursor, 2)
        try:
            created_at, last_id = datetime.fromisoformat(created), UUID(last)
        except (TypeError, ValueError) as exc:
            raise AppError(400, "invalid_cursor", "The cursor is invalid.") from exc
    rows = await conn.fetch(
        """
        select s.id, s.title, s.created_at, s.updated_at,
               m.role as last_role, m.content as last_content, m.created_at as last_at
        from sessions s
        left join lateral (
          select role, content, created_at from chat_messages
          where session_id = s.id order by id desc limit 1
        ) m on true
        where $1::timestamptz is null or (s.created_at, s.id) < ($1::timestamptz, $2::uuid)
        order by s.created_at desc, s.id desc
        limit $3
        """,
        created_at,
        last_id,
        limit + 1,
    )
    items = []
    for row in rows[:limit]:
        last = None
        if row["last_role"] is not None:
            last = {
                "role": row["last_role"],
                "text": text_of(row["last_content"]),
                "created_at": row["last_at"],
            }
        items.append(
            {
                "id": row["id"],
                "title": row["title"],
                "created_at": row["created_at"],
                "updated_at": row["updated_at"],
                "last_message": last,
            }
        )
    next_cursor = None
    if len(rows) > limit:
        next_cursor = encode_cursor(items[-1]["created_at"], str(items[-1]["id"]))
    return items, next_cursor


async def delete_session(conn: asyncpg.Connection, session_id: UUID) -> bool:
    """Delete a session and (by cascade) its messages. Stored credentials are per user: kept."""
    deleted = await conn.fetchval("delete from sessions where id = $1 returning id", session_id)
    return deleted is not None
