"""Define an agent's whole workflow at once (the model's tool): trigger, steps, instruction."""

from __future__ import annotations

from typing import Any

from agents import repository as agents_repository
from agents import service as agents
from agents.agent_config import AgentConfig
from auth.models import User
from core.config import Settings
from core.db.database import Database
from workflows import service
from workflows.instruction import write_instruction
from workflows.models import ScheduleIn, ScheduleOut, WorkflowStep
from workflows.views import trigger_words


async def define_workflow(
    db: Database,
    settings: Settings,
    user: User,
    session_id: str | None,
    agent_id: str,
    body: ScheduleIn,
    steps: list[WorkflowStep],
) -> ScheduleOut:
    """Store the trigger and steps, then rewrite the agent's instruction from them."""
    view = await service.put_schedule(
        db, settings, user, agent_id, body, steps=[s.model_dump() for s in steps]
    )
    async with db.as_user(user.claims) as conn:
        row: dict[str, Any] | None = await agents_repository.get_agent(conn, agent_id)
    if row is None:  # deleted in between: put_schedule saw it
        raise service.WorkflowError("not_found", "Agent not found", 404)
    config = AgentConfig.from_json(row["config"])
    instruction = write_instruction(view.task, steps, trigger_words(view.model_dump()))
    await agents.create_config(
        db,
        settings,
        user,
        session_id,
        [s["slug"] for s in config.servers],
        config.name,
        instruction,
    )
    return view
