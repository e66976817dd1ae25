"""Workflow use cases shared by the API routes and the model's tool.

Reads and schedule changes run as the signed-in user (RLS); queueing a run uses the service
connection, because the queue is the engine's and runs are written only by the service.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from agents import repository as agents_repository
from auth.models import User
from core.config import Settings
from core.db.database import Database
from core.db.ids import as_uuid
from core.errors import AppError
from workflows import repository
from workflows.engine import RUN, enqueue
from workflows.models import RunOut, RunPage, ScheduleIn, ScheduleOut
from workflows.schedule import ScheduleError, parse_schedule
from workflows.sweep import first_run_at
from workflows.timing import valid_cron
from workflows.views import run_view, schedule_view


class WorkflowError(AppError):
    """A schedule or run request that cannot be done as asked (400 unless said otherwise)."""

    def __init__(self, code: str, message: str, status: int = 400, details: Any = None) -> None:
        super().__init__(status, code, message, details)


def _agent_gone() -> WorkflowError:
    return WorkflowError("not_found", "Agent not found", 404)


async def _owned_agent(conn: Any, agent_id: str) -> dict[str, Any]:
    agent = await agents_repository.get_agent(conn, agent_id)  # RLS: others' agents are invisible
    if agent is None:
        raise _agent_gone()
    return agent


def _trigger(body: ScheduleIn, settings: Settings, zone: str) -> dict[str, Any] | None:
    """The trigger columns a PUT asks for (``None`` when it changes no trigger)."""
    given = [f for f in ("text", "cron", "interval_seconds", "event") if getattr(body, f)]
    if len(given) > 1:
        raise WorkflowError(
            "ambiguous_schedule", f"Give one of text, cron, interval_seconds or event, not {given}."
        )
    empty = {"cron": None, "interval_seconds": None, "event": None}
    if body.text:
        try:
            found = parse_schedule(body.text, zone)
        except ScheduleError as error:
            raise WorkflowError("invalid_schedule", str(error)) from None
        cron, interval, zone = found.cron, found.interval_seconds, found.timezone
    elif body.cron:
        if not valid_cron(body.cron):
            raise WorkflowError(
                "invalid_schedule", f"{body.cron!r} is not a 5-field cron expression."
            )
        cron, interval = body.cron, None
    elif body.interval_seconds:
        cron, interval = None, body.interval_seconds
    elif body.event:
        return {**empty, "trigger": "event", "event": body.event.model_dump(), "timezone": zone}
    else:
        return None
    if interval is not None and interval < settings.workflow_min_interval_seconds:
        raise WorkflowError(
            "invalid_schedule",
            f"Runs can be at most every {settings.workflow_min_interval_seconds} seconds.",
        )
    return {**empty, "trigger": "schedule", "cron": cron, "interval_seconds": interval,
            "timezone": zone}  # fmt: skip


def _first_due(fields: dict[str, Any], now: datetime) -> datetime | None:
    if fields["trigger"] == "event":
        return now  # the first check records what already exists
    if fields["trigger"] == "schedule":
        return first_run_at(fields["cron"], fields["interval_seconds"], fields["timezone"], now)
    return None


async def put_schedule(
    db: Database,
    settings: Settings,
    user: User,
    agent_id: str,
    body: ScheduleIn,
    *,
    steps: list[dict[str, Any]] | None = None,
    now: datetime | None = None,
) -> ScheduleOut:
    """Set, change, pause or resume the agent's schedule (or polled event)."""
    now = now or datetime.now(UTC)
    async with db.as_user(user.claims) as conn:
        agent = await _owned_agent(conn, agent_id)
        current = await repository.get_workflow(conn, agent_id)
        zone = body.timezone or (current or {}).get("timezone") or settings.workflow_timezone
        fields = _trigger(body, settings, zone) or {}
        if body.timezone and not fields and current and current["trigger"] == "schedule":
            fields = {k: current[k] for k in ("trigger", "cron", "interval_seconds", "event")}
            fields["timezone"] = body.timezone  # the same schedule, read in another zone
        if not fields and current is None and body.task is None and steps is None:
            raise WorkflowError(
                "no_schedule", "This agent has no schedule yet: give text, cron or interval."
            )
        if body.task or current is None:
            fields["task"] = body.task or agent["config"].get("instruction") or agent["name"]
        if steps is not None:
            fields["steps"] = steps
        paused = body.paused if body.paused is not None else bool(current and current["paused"])
        fields["paused"] = paused
        trigger_row = {**(current or {"trigger": "on_demand"}), **fields}
        resumed = current is not None and current["paused"] and not paused
        if "trigger" in fields or resumed or (current or {}).get("next_run_at") is None:
            # Runs missed while paused are not caught up: a resumed schedule starts from now.
            fields["next_run_at"] = None if paused else _first_due(trigger_row, now)
        if paused:
            fields["next_run_at"] = None
        row = await repository.upsert_workflow(conn, agent_id, user.id, fields)
    return schedule_view(row, now)


async def get_schedule(db: Database, user: User, agent_id: str) -> ScheduleOut:
    async with db.as_user(user.claims) as conn:
        await _owned_agent(conn, agent_id)
        row = await repository.get_workflow(conn, agent_id)
    if row is None:
        raise WorkflowError("no_schedule", "This agent has no schedule.", 404)
    return schedule_view(row, datetime.now(UTC))


async def delete_schedule(db: Database, user: User, agent_id: str) -> None:
    """Remove the trigger: the agent runs only on demand; its task and run history stay."""
    async with db.as_user(user.claims) as conn:
        await _owned_agent(conn, agent_id)
        if await repository.get_workflow(conn, agent_id) is None:
            raise WorkflowError("no_schedule", "This agent has no schedule.", 404)
        empty = {"cron": None, "interval_seconds": None, "event": None, "next_run_at": None}
        await repository.upsert_workflow(conn, agent_id, user.id, {"trigger": "on_demand", **empty})


async def run_now(db: Database, user: User, agent_id: str) -> RunOut:
    """Queue a run of the agent's task now; it runs on whichever instance takes the job."""
    now = datetime.now(UTC)
    async with db.as_user(user.claims) as conn:
        agent = await _owned_agent(conn, agent_id)
        if await repository.get_workflow(conn, agent_id) is None:
            task = agent["config"].get("instruction") or agent["name"]
            await repository.upsert_workflow(conn, agent_id, user.id, {"task": task})
    async with db.service() as conn:
        run = await repository.insert_run(conn, agent_id, user.id, "manual", now)
        if run is None:
            raise WorkflowError("run_exists", "A run was just queued; try again.", 409)
        await enqueue(conn, RUN, {"run_id": str(run["id"])}, dedupe_key=f"run:{run['id']}")
    return run_view(run)


async def list_runs(
    db: Database, user: User, agent_id: str, limit: int, cursor: str | None
) -> RunPage:
    """The agent's runs, newest first; ``cursor`` is the previous page's ``next_cursor``."""
    before = None
    if cursor:
        try:
            before = datetime.fromisoformat(cursor)
        except ValueError:
            raise WorkflowError("invalid_cursor", "The cursor is not one this API gave.") from None
    async with db.as_user(user.claims) as conn:
        await _owned_agent(conn, agent_id)
        rows = await repository.list_runs(conn, agent_id, limit + 1, before)
    page = rows[:limit]
    more = len(rows) > limit
    return RunPage(
        runs=[run_view(r) for r in page],
        next_cursor=page[-1]["scheduled_for"].isoformat() if more else None,
    )


async def get_run(db: Database, user: User, agent_id: str, run_id: str) -> RunOut:
    async with db.as_user(user.claims) as conn:
        await _owned_agent(conn, agent_id)
        row = await repository.get_run(conn, agent_id, run_id) if as_uuid(run_id) else None
    if row is None:
        raise WorkflowError("not_found", "Run not found", 404)
    return run_view(row)
