"""One run of a workflow: claim it, check credentials, start the agent if needed, send the task.

The run row is claimed with a conditional update (queued -> running), so a job delivered twice
still runs once. Everything the user should know about a failure ends up in the run's ``error``.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from agents import repository as agents_repository
from agents import service as agents
from agents.agent_config import AgentConfig
from agents.supervisor import Supervisor
from auth.models import User
from catalog.models import OAUTH_ACCESS_TOKEN
from catalog.repository import UnknownServerError
from core.db.database import Database
from core.errors import AppError
from credentials import service as credentials
from workflows import repository

log = logging.getLogger(__name__)


def owner(user_id: str) -> User:
    """The agent's owner as the agents service expects a user (RLS applies to their rows).

    The scheduler acts for the user without a request token; these claims never leave the
    process and only scope database access to the owner's own rows.
    """
    claims = {"sub": user_id, "role": "authenticated", "aud": "authenticated"}
    return User(id=user_id, claims=claims)


async def missing_credentials(conn: Any, user_id: str, config: AgentConfig) -> str | None:
    """Why the agent cannot run for lack of a credential or an OAuth connection, or ``None``."""
    slugs = [server["slug"] for server in config.servers]
    try:
        missing = await credentials.missing_credentials(conn, user_id, slugs)
    except UnknownServerError as error:
        return f"{error}: the agent uses a server that left the catalog; rebuild it."
    if not missing:
        return None
    connect = " ".join(m.instruction for m in missing if m.name == OAUTH_ACCESS_TOKEN)
    listed = ", ".join(str(m) for m in missing)
    return f"Missing credentials: {listed}. {connect or 'Add them, then run again.'}".strip()


def run_message(task: str, event_items: list[dict[str, Any]] | None) -> str:
    """What the agent is sent: its task, plus the new items when an event started the run."""
    if not event_items:
        return task
    items = json.dumps(event_items, ensure_ascii=False)[:8000]
    return f"{task}\n\nNew items since the last check (JSON):\n{items}"


async def execute_run(db: Database, supervisor: Supervisor, run_id: str) -> dict[str, Any] | None:
    """Run a queued run to its end; the finished run, or ``None`` if it was not queued."""
    async with db.service() as conn:
        run = await repository.claim_run(conn, run_id)
        if run is None:
            return None
        workflow = await repository.get_workflow(conn, str(run["agent_id"]))
        agent = await agents_repository.get_agent(conn, str(run["agent_id"]))
    if workflow is None or agent is None:
        return await _finish(db, run_id, "failed", error="The agent's workflow was deleted.")
    try:
        return await _run(db, supervisor, run, workflow, agent)
    except AppError as error:
        return await _finish(db, run_id, "failed", error=error.message)
    except Exception as error:  # the run must end recorded, whatever broke
        log.exception("workflow run %s failed", run_id)
        return await _finish(db, run_id, "failed", error=f"Internal error: {type(error).__name__}")


async def _run(
    db: Database,
    supervisor: Supervisor,
    run: dict[str, Any],
    workflow: dict[str, Any],
    agent: dict[str, Any],
) -> dict[str, Any] | None:
    run_id, user, agent_id = str(run["id"]), owner(str(run["user_id"])), str(agent["id"])
    async with db.as_user(user.claims) as conn:
        missing = await missing_credentials(conn, user.id, AgentConfig.from_json(agent["config"]))
    if missing:
        return await _finish(db, run_id, "failed", error=missing)
    if supervisor.get(agent_id) is None:
        await agents.start_agent(db, supervisor, user, agent_id)
    reply = await agents.send_message(
        db,
        supervisor,
        user,
        agent_id,
        run_message(workflow["task"], run.get("event_items")),
        f"run-{run_id}",  # each run its own conversation: no history grows without bound
        check_session=False,  # our own conversation id; the agent bounds how many stay live
    )
    return await _finish(db, run_id, "succeeded", output=reply)


async def _finish(db: Database, run_id: str, status: str, **fields: Any) -> dict[str, Any] | None:
    async with db.service() as conn:
        return await repository.finish_run(conn, run_id, status=status, **fields)
