"""The app's lifespan hook: this instance's share of the workflow engine, stopped at shutdown."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

from agents.supervisor import Supervisor
from core.config import Settings
from core.db.database import Database
from workflows.engine import POLL, RUN, WorkflowEngine
from workflows.polling import execute_poll
from workflows.runner import execute_run
from workflows.sweep import sweep


def handlers(db: Database, supervisor: Supervisor) -> dict[str, Any]:
    """The engine's job handlers, a run and an event check, on this instance's supervisor."""

    async def run(payload: dict[str, Any]) -> None:
        await execute_run(db, supervisor, payload["run_id"])

    async def poll(payload: dict[str, Any]) -> None:
        due = datetime.fromisoformat(payload["due"])
        await execute_poll(db, supervisor, payload["agent_id"], due)

    return {RUN: run, POLL: poll}


@asynccontextmanager
async def workflows_lifespan(
    db: Database, settings: Settings, supervisor: Supervisor
) -> AsyncIterator[WorkflowEngine | None]:
    """Run the engine while the app runs (unless ``WORKFLOWS_ENABLED`` is false)."""
    if not settings.workflows_enabled:
        yield None
        return
    engine = WorkflowEngine(db.dsn, settings)

    async def sweep_now() -> None:
        await sweep(db, settings)

    await engine.start(handlers(db, supervisor), sweep_now)
    try:
        yield engine
    finally:
        await engine.stop()
