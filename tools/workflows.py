"""``set_workflow``: the model records when the agent runs and what it does each time.

The user, their time zone and their agents come from the ``ToolContext``, never from arguments.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from tools.registry import ToolContext
from workflows.define import define_workflow
from workflows.models import PollEvent, ScheduleIn, WorkflowStep
from workflows.timing import valid_cron
from workflows.views import confirmation


async def set_workflow(
    ctx: ToolContext,
    agent_id: Annotated[str, Field(min_length=1, max_length=64)],
    task: Annotated[str, Field(min_length=1, max_length=20_000)],
    schedule: Annotated[str, Field(min_length=1, max_length=500)] | None = None,
    steps: Annotated[list[WorkflowStep], Field(max_length=20)] | None = None,
    event: PollEvent | None = None,
) -> dict[str, Any]:
    """Record the workflow of an agent built by build_agent_config: when it runs and its steps.

    Call this after build_agent_config whenever the request says when it should happen
    ("every weekday at 8", "hourly", "every Friday afternoon") or names an event ("when a new
    GitHub issue is opened"); also when it gives steps. The service then runs the agent at
    each due time in the user's time zone and keeps each run's output. The agent's instruction
    is rewritten from the steps. Confirm to the user the schedule in words and the next run,
    exactly as the result's "confirmation" says.

    Args:
        agent_id: The agent_id returned by build_agent_config.
        task: What the agent must do on each run, as a message to it, without the schedule
            words, e.g. "Tell me the current time in Tokyo."
        schedule: When it runs, in words ("every morning at 8", "every weekday at 08:30",
            "every 2 hours") or as a 5-field cron expression ("0 8 * * 1-5"). Omit for an
            event trigger or for a workflow that runs only when the user asks.
        steps: The workflow's steps in order: kind "read" (what to fetch), "do" (what to work
            out), "deliver" (where the result goes, e.g. "post to Slack #team"), each with the
            catalog slugs of the servers it uses.
        event: For "when X happens" requests: what to ask the agent to list (its answer must be
            a JSON list of items), how often to check, and the field that identifies an item.
    """
    zone = ctx.timezone
    body = ScheduleIn(timezone=zone, task=task, event=event)
    if schedule:
        if valid_cron(schedule.strip()):
            body.cron = schedule.strip()
        else:
            body.text = schedule
    step_models = steps or [WorkflowStep(kind="do", description=task)]
    view = await define_workflow(  # an AppError reaches the model as an is_error result
        ctx.db, ctx.settings, ctx.user, ctx.session_id, agent_id, body, step_models
    )
    said = confirmation(view)
    ctx.emit({"type": "workflow_set", "agent_id": agent_id, "schedule": view.model_dump()})
    return {
        "agent_id": agent_id,
        "trigger": view.trigger,
        "cron": view.cron,
        "interval_seconds": view.interval_seconds,
        "timezone": view.timezone,
        "next_run_at": view.next_run_at,
        "confirmation": said,
        "summary": said,
    }
