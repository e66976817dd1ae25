"""SQL for workflows, their runs and the event items already seen.

Functions take a connection: under ``db.as_user`` RLS limits every query to the caller's rows;
the scheduler and the runner use the service connection (they act for many users).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import asyncpg

from core.db.ids import as_uuid

_WORKFLOW_COLUMNS = (
    "agent_id, user_id, trigger, cron, interval_seconds, timezone, event, steps, task, paused,"
    " next_run_at, created_at, updated_at"
)
_RUN_COLUMNS = (
    "id, agent_id, user_id, trigger, scheduled_for, status, started_at, finished_at, output,"
    " error, tool_calls, usage, event_items, created_at"
)
_JSON = {"event", "steps", "tool_calls", "usage", "event_items"}


def _record(row: asyncpg.Record | None) -> dict[str, Any] | None:
    if row is None:
        return None
    out = dict(row)
    for key in _JSON & out.keys():
        if isinstance(out[key], str):  # a connection without the pool's json codec
            out[key] = json.loads(out[key])
    return out


async def get_workflow(conn: asyncpg.Connection, agent_id: str) -> dict[str, Any] | None:
    row = await conn.fetchrow(
        f"select {_WORKFLOW_COLUMNS} from public.agent_workflows where agent_id = $1",
        as_uuid(agent_id),
    )
    return _record(row)


_WORKFLOW_FIELDS = (
    "trigger",
    "cron",
    "interval_seconds",
    "timezone",
    "event",
    "steps",
    "task",
    "paused",
    "next_run_at",
)
_DEFAULTS: dict[str, Any] = {
    "trigger": "on_demand",
    "timezone": "UTC",
    "steps": [],
    "paused": False,
}


def _placeholder(column: str, index: int) -> str:
    return f"${index}::jsonb" if column in ("event", "steps") else f"${index}"


async def upsert_workflow(
    conn: asyncpg.Connection, agent_id: str, user_id: str, fields: dict[str, Any]
) -> dict[str, Any]:
    """Update the given columns of the agent's workflow, or insert it (``task`` then needed)."""
    unknown = set(fields) - set(_WORKFLOW_FIELDS)
    if unknown:
        raise ValueError(f"not workflow columns: {sorted(unknown)}")
    present = [c for c in _WORKFLOW_FIELDS if c in fields]
    if present:
        sets = ", ".join(f"{c} = {_placeholder(c, i)}" for i, c in enumerate(present, start=2))
        row = await conn.fetchrow(
            f"update public.agent_workflows set {sets}, updated_at = now()"
            f" where agent_id = $1 returning {_WORKFLOW_COLUMNS}",
            as_uuid(agent_id),
            *(fields[c] for c in present),
        )
        if row is not None:
            return _record(row)  # type: ignore[return-value]
    values = {**_DEFAULTS, **fields}
    columns = [c for c in _WORKFLOW_FIELDS if c in values]
    placeholders = ", ".join(_placeholder(c, i) for i, c in enumerate(columns, start=3))
    row = await conn.fetchrow(
        f"insert into public.agent_workflows (agent_id, user_id, {', '.join(columns)})"
        f" values ($1, $2, {placeholders}) returning {_WORKFLOW_COLUMNS}",
        as_uuid(agent_id),
        as_uuid(user_id),
        *(values[c] for c in columns),
    )
    return _record(row)  # type: ignore[return-value]


async def delete_workflow(conn: asyncpg.Connection, agent_id: str) -> bool:
    status = await conn.execute(
        "delete from public.agent_workflows where agent_id = $1", as_uuid(agent_id)
    )
    return bool(status.endswith(" 1"))


async def due_workflows(
    conn: asyncpg.Connection, horizon: datetime, limit: int
) -> list[dict[str, Any]]:
    """Unpaused workflows due by ``horizon``, locked; rows another sweep holds are skipped."""
    rows = await conn.fetch(
        f"select {_WORKFLOW_COLUMNS} from public.agent_workflows"
        " where not paused and next_run_at is not null and next_run_at <= $1"
        " and trigger in ('schedule', 'event')"
        " order by next_run_at limit $2 for update skip locked",
        horizon,
        limit,
    )
    return [r for r in map(_record, rows) if r is not None]


async def set_next_run(conn: asyncpg.Connection, agent_id: Any, next_run_at: datetime) -> None:
    await conn.execute(
        "update public.agent_workflows set next_run_at = $2 where agent_id = $1",
        agent_id,
        next_run_at,
    )


async def insert_run(
    conn: asyncpg.Connection,
    agent_id: Any,
    user_id: Any,
    trigger: str,
    scheduled_for: datetime,
    event_items: list[dict[str, Any]] | None = None,
) -> dict[str, Any] | None:
    """A queued run, or ``None`` when this agent already has one for this due time."""
    row = await conn.fetchrow(
        "insert into public.agent_runs (agent_id, user_id, trigger, scheduled_for, event_items)"
        " values ($1, $2, $3, $4, $5::jsonb) on conflict (agent_id, scheduled_for) do nothing"
        f" returning {_RUN_COLUMNS}",
        as_uuid(str(agent_id)),
        as_uuid(str(user_id)),
        trigger,
        scheduled_for,
        event_items,
    )
    return _record(row)


async def claim_run(conn: asyncpg.Connection, run_id: str) -> dict[str, Any] | None:
    """Mark a queued run running; ``None`` if it is not queued (someone else has it)."""
    row = await conn.fetchrow(
        "update public.agent_runs set status = 'running', started_at = now()"
        f" where id = $1 and status = 'queued' returning {_RUN_COLUMNS}",
        as_uuid(run_id),
    )
    return _record(row)


async def finish_run(
    conn: asyncpg.Connection,
    run_id: str,
    *,
    status: str,
    output: str | None = None,
    error: str | None = None,
    tool_calls: list[dict[str, Any]] | None = None,
    usage: dict[str, Any] | None = None,
) -> dict[str, Any] | None:
    row = await conn.fetchrow(
        "update public.agent_runs set status = $2, output = $3, error = $4,"
        " tool_calls = coalesce($5::jsonb, tool_calls), usage = $6::jsonb,"
        f" finished_at = now() where id = $1 returning {_RUN_COLUMNS}",
        as_uuid(run_id),
        status,
        output,
        error,
        tool_calls,
        usage,
    )
    return _record(row)


async def fail_abandoned_runs(conn: asyncpg.Connection, started_before: datetime) -> int:
    """Runs left 'running' by an instance that died mid-run: failed, with the reason."""
    status = await conn.execute(
        "update public.agent_runs set status = 'failed', finished_at = now(),"
        " error = 'The service stopped during this run; it was not finished.'"
        " where status = 'running' and started_at < $1",
        started_before,
    )
    return int(status.split()[-1])


async def get_run(conn: asyncpg.Connection, agent_id: str, run_id: str) -> dict[str, Any] | None:
    if as_uuid(run_id) is None or as_uuid(agent_id) is None:
        return None
    row = await conn.fetchrow(
        f"select {_RUN_COLUMNS} from public.agent_runs where id = $1 and agent_id = $2",
        as_uuid(run_id),
        as_uuid(agent_id),
    )
    return _record(row)


async def list_runs(
    conn: asyncpg.Connection, agent_id: str, limit: int, before: datetime | None
) -> list[dict[str, Any]]:
    """Newest first; ``before`` is the ``scheduled_for`` of the last run of the previous page."""
    rows = await conn.fetch(
        f"select {_RUN_COLUMNS} from public.agent_runs where agent_id = $1"
        " and ($2::timestamptz is null or scheduled_for < $2)"
        " order by scheduled_for desc limit $3",
        as_uuid(agent_id),
        before,
        limit,
    )
    return [r for r in map(_record, rows) if r is not None]


async def unseen_items(
    conn: asyncpg.Connection, agent_id: Any, user_id: Any, keys: list[str]
) -> list[str]:
    """Record ``keys`` as seen; return those that were not seen before, in order."""
    rows = await conn.fetch(
        "insert into public.workflow_seen_items (agent_id, user_id, item_key)"
        " select $1, $2, k from unnest($3::text[]) as k"
        " on conflict (agent_id, item_key) do nothing returning item_key",
        agent_id,
        user_id,
        keys,
    )
    new = {r["item_key"] for r in rows}
    return [k for k in keys if k in new]


async def has_seen_any(conn: asyncpg.Connection, agent_id: Any) -> bool:
    return bool(
        await conn.fetchval(
            "select exists (select 1 from public.workflow_seen_items where agent_id = $1)",
            agent_id,
        )
    )
