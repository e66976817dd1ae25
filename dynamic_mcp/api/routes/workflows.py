"""HTTP API for an agent's workflow: its schedule (or polled event) and its runs."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from core.errors import error_responses
from dynamic_mcp.api.deps import DB, AppSettings, CurrentUser
from workflows import service
from workflows.models import RunOut, RunPage, ScheduleIn, ScheduleOut

router = APIRouter(
    prefix="/api/agents/{agent_id}",
    tags=["workflows"],
    responses=error_responses(401, 404, 422, 500),
)


@router.get("/schedule", summary="The agent's schedule and next run", response_model=ScheduleOut)
async def get_schedule(agent_id: str, user: CurrentUser, db: DB) -> ScheduleOut:
    return await service.get_schedule(db, user, agent_id)


@router.put(
    "/schedule",
    summary="Set, change, pause or resume the agent's schedule",
    response_model=ScheduleOut,
    responses=error_responses(400, 422),
)
async def put_schedule(
    agent_id: str, body: ScheduleIn, user: CurrentUser, db: DB, settings: AppSettings
) -> ScheduleOut:
    return await service.put_schedule(db, settings, user, agent_id, body)


@router.delete("/schedule", status_code=204, summary="Remove the schedule (runs on demand only)")
async def delete_schedule(agent_id: str, user: CurrentUser, db: DB) -> Response:
    await service.delete_schedule(db, user, agent_id)
    return Response(status_code=204)


@router.post(
    "/runs",
    status_code=202,
    summary="Run the agent's task now",
    response_model=RunOut,
    responses=error_responses(409),
)
async def run_now(agent_id: str, user: CurrentUser, db: DB) -> RunOut:
    return await service.run_now(db, user, agent_id)


@router.get(
    "/runs", summary="The agent's runs, newest first", response_model=RunPage,
    responses=error_responses(400, 422),
)  # fmt: skip
async def list_runs(
    agent_id: str,
    user: CurrentUser,
    db: DB,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=64)] = None,
) -> RunPage:
    return await service.list_runs(db, user, agent_id, limit, cursor)


@router.get("/runs/{run_id}", summary="One run with its output", response_model=RunOut)
async def get_run(agent_id: str, run_id: str, user: CurrentUser, db: DB) -> RunOut:
    return await service.get_run(db, user, agent_id, run_id)
