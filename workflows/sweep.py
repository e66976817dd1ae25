"""The sweep: turn workflows that are due (or will be before the next sweep) into queued jobs.

Safe to run on every instance at once: due rows are locked ``FOR UPDATE SKIP LOCKED``, each run
is one row per (agent, due time) (a unique constraint), and the job is queued in the same
transaction that records the run and advances ``next_run_at``, so a crash leaves neither.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from core.config import Settings
from core.db.database import Database
from workflows import repository
from workflows.engine import POLL, RUN, enqueue
from workflows.timing import next_due, plan_sweep

log = logging.getLogger(__name__)
_BATCH = 200


async def sweep(db: Database, settings: Settings, now: datetime | None = None) -> int:
    """Queue the runs and polls due up to the next sweep; return how many were queued."""
    now = now or datetime.now(UTC)
    horizon = now + timedelta(seconds=settings.workflow_lookahead_seconds)
    on_time = timedelta(seconds=settings.workflow_on_time_seconds)
    queued = 0
    # A run can last at most a start plus a message; one still 'running' well after that was
    # abandoned by an instance that stopped (its job's retry finds the run no longer queued).
    longest = settings.agent_start_timeout_seconds + settings.agent_message_timeout_seconds
    async with db.service() as conn:
        await repository.fail_abandoned_runs(conn, now - timedelta(seconds=2 * longest + 60))
        for workflow in await repository.due_workflows(conn, horizon, _BATCH):
            agent_id, user_id = workflow["agent_id"], workflow["user_id"]
            if workflow["trigger"] == "event":
                every = int(workflow["event"]["every_minutes"]) * 60
                plan = plan_sweep(
                    cron=None,
                    interval_seconds=every,
                    timezone="UTC",
                    next_run_at=workflow["next_run_at"],
                    now=now,
                    horizon=horizon,
                    on_time=on_time,
                    policy="catch_up_once",  # a missed poll is just a later poll
                )
                for due in plan.runs:
                    await enqueue(
                        conn,
                        POLL,
                        {"agent_id": str(agent_id), "due": due.isoformat()},
                        delay=due - datetime.now(UTC),
                        dedupe_key=f"poll:{agent_id}:{due.isoformat()}",
                    )
                    queued += 1
            else:
                plan = plan_sweep(
                    cron=workflow["cron"],
                    interval_seconds=workflow["interval_seconds"],
                    timezone=workflow["timezone"],
                    next_run_at=workflow["next_run_at"],
                    now=now,
                    horizon=horizon,
                    on_time=on_time,
                    policy=settings.workflow_missed_runs,
                )
                if plan.missed:
                    log.info(
                        "workflow %s: %d due time(s) passed while the service was down (%s)",
                        agent_id,
                        plan.missed,
                        settings.workflow_missed_runs,
                    )
                for due in plan.runs:
                    run = await repository.insert_run(conn, agent_id, user_id, "schedule", due)
                    if run is None:
                        continue  # this due time already has its run
                    await enqueue(
                        conn,
                        RUN,
                        {"run_id": str(run["id"])},
                        delay=due - datetime.now(UTC),
                        dedupe_key=f"run:{run['id']}",
                    )
                    queued += 1
            await repository.set_next_run(conn, agent_id, plan.next_run_at)
    return queued


def first_run_at(
    cron: str | None, interval_seconds: int | None, timezone: str, now: datetime
) -> datetime:
    """When a newly set (or resumed) schedule first runs."""
    return next_due(cron, interval_seconds, timezone, now)
