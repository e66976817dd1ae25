"""Polled event triggers: ask the agent for the current items, run the workflow on new ones.

The agent answers its ``check`` message with its tools (inside its own sandbox, with the user's
credentials); the service reads the JSON items from the answer and keeps the keys it has seen
per agent, so an item starts at most one run. The first check only records what exists: "when a
new issue is opened" means new from now on. A webhook trigger would call ``new_items`` with the
items it was pushed, skipping the check.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any

from agents import service as agents
from agents.supervisor import Supervisor
from core.db.database import Database
from core.db.ids import as_uuid
from core.errors import AppError
from workflows import repository
from workflows.engine import RUN, enqueue
from workflows.runner import owner

log = logging.getLogger(__name__)
_MAX_ITEMS = 200


def items_in(reply: str) -> list[Any]:
    """The list of items in an agent's answer: a JSON list, or a list under a single key."""
    start = min((i for i in (reply.find("["), reply.find("{")) if i >= 0), default=-1)
    if start < 0:
        return []
    try:
        data: Any = json.loads(reply[start:])
    except ValueError:
        return []
    if isinstance(data, dict):
        lists = [v for v in data.values() if isinstance(v, list)]
        data = lists[0] if len(lists) == 1 else []
    return data[:_MAX_ITEMS] if isinstance(data, list) else []


def item_key(item: Any, id_field: str) -> str | None:
    if isinstance(item, dict):
        value = item.get(id_field)
        return None if value is None else str(value)
    return None if isinstance(item, list) else str(item)


async def new_items(
    db: Database, agent_id: str, user_id: str, items: list[Any], id_field: str, due: datetime
) -> dict[str, Any] | None:
    """Record the items as seen; queue a run with the new ones (none on the first check)."""
    keyed = {k: i for i in items if (k := item_key(i, id_field)) is not None}
    async with db.service() as conn:
        first_check = not await repository.has_seen_any(conn, as_uuid(agent_id))
        fresh = await repository.unseen_items(
            conn, as_uuid(agent_id), as_uuid(user_id), list(keyed)
        )
        if first_check or not fresh:
            return None
        found = [i if isinstance(i, dict) else {"value": i} for i in (keyed[k] for k in fresh)]
        run = await repository.insert_run(conn, agent_id, user_id, "event", due, found)
        if run is not None:
            await enqueue(conn, RUN, {"run_id": str(run["id"])}, dedupe_key=f"run:{run['id']}")
        return run


async def execute_poll(db: Database, supervisor: Supervisor, agent_id: str, due: datetime) -> int:
    """One check of an event trigger; how many new items it found."""
    async with db.service() as conn:
        workflow = await repository.get_workflow(conn, agent_id)
    if workflow is None or workflow["paused"] or workflow["trigger"] != "event":
        return 0
    user = owner(str(workflow["user_id"]))
    event = workflow["event"]
    try:
        if supervisor.get(agent_id) is None:
            await agents.start_agent(db, supervisor, user, agent_id)
        reply = await agents.send_message(
            db,
            supervisor,
            user,
            agent_id,
            event["check"],
            f"poll-{agent_id}-{due.timestamp()}",
            check_session=False,  # our own conversation id; the agent bounds how many stay live
        )
    except AppError as error:
        # The user sees why the check failed (often a deleted credential) as a failed run.
        async with db.service() as conn:
            run = await repository.insert_run(conn, agent_id, user.id, "event", due)
            if run is not None:
                await repository.finish_run(
                    conn, str(run["id"]), status="failed", error=f"Event check: {error.message}"
                )
        return 0
    run = await new_items(db, agent_id, user.id, items_in(reply), event["id_field"], due)
    return len(run["event_items"] or []) if run else 0
