"""HTTP API for a user's agents: list, inspect, start, stop, talk to, download."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from agents import service
from agents.supervisor import Supervisor
from catalog.models import SLUG_PATTERN
from core.errors import error_responses
from dynamic_mcp.api.deps import DB, AppSettings, CurrentUser
from dynamic_mcp.api.schemas import Agent, AgentCreated, AgentList

router = APIRouter(prefix="/api/agents", tags=["agents"], responses=error_responses(401, 500))


class CreateAgentRequest(BaseModel):
    # catalog slugs only: anything else (a NUL byte, say) is a 422, not a failed query
    servers: list[Annotated[str, Field(pattern=SLUG_PATTERN)]] = Field(min_length=1, max_length=10)
    name: str = Field(min_length=1, max_length=63)
    instruction: str = Field(min_length=1, max_length=20_000)
    session_id: str | None = None


class MessageRequest(BaseModel):
    message: str = Field(min_length=1, max_length=100_000)
    session_id: str | None = None


class MessageResponse(BaseModel):
    reply: str


def _supervisor(request: Request, settings: Any) -> Supervisor:
    supervisor: Supervisor = request.app.state.agent_supervisor  # set by the lifespan
    return supervisor


@router.get("", response_model=AgentList, summary="List your agents")
async def list_agents(user: CurrentUser, db: DB) -> dict[str, Any]:
    return {"items": await service.list_agents(db, user)}


@router.post(
    "",
    status_code=201,
    response_model=AgentCreated,
    summary="Build an agent config from catalog servers",
    responses=error_responses(400, 404, 409, 413, 422),
)
async def create_agent(
    body: CreateAgentRequest, user: CurrentUser, db: DB, settings: AppSettings
) -> dict[str, Any]:
    return await service.create_config(
        db, settings, user, body.session_id, body.servers, body.name, body.instruction
    )


@router.get(
    "/{agent_id}", response_model=Agent, summary="An agent", responses=error_responses(404, 422)
)
async def get_agent(agent_id: str, user: CurrentUser, db: DB) -> dict[str, Any]:
    return await service.get_agent(db, user, agent_id)


@router.post(
    "/{agent_id}/start",
    response_model=Agent,
    summary="Start an agent",
    responses=error_responses(404, 409, 422, 429, 502, 504),
)
async def start_agent(
    agent_id: str, request: Request, user: CurrentUser, db: DB, settings: AppSettings
) -> dict[str, Any]:
    return await service.start_agent(db, _supervisor(request, settings), user, agent_id)


@router.post(
    "/{agent_id}/stop",
    response_model=Agent,
    summary="Stop an agent",
    responses=error_responses(404, 409, 422, 502, 504),
)
async def stop_agent(
    agent_id: str, request: Request, user: CurrentUser, db: DB, settings: AppSettings
) -> dict[str, Any]:
    return await service.stop_agent(db, _supervisor(request, settings), user, agent_id)


@router.post(
    "/{agent_id}/messages",
    summary="Message a running agent",
    responses=error_responses(404, 409, 413, 422, 429, 502, 504),
)
async def send_message(
    agent_id: str,
    body: MessageRequest,
    request: Request,
    user: CurrentUser,
    db: DB,
    settings: AppSettings,
) -> MessageResponse:
    reply = await service.send_message(
        db, _supervisor(request, settings), user, agent_id, body.message, body.session_id
    )
    return MessageResponse(reply=reply)


@router.get(
    "/{agent_id}/config",
    response_model=None,
    summary="Download an agent's fast-agent config (JSON files, or a zip)",
    responses={
        200: {
            "description": "`{files: {path: text}}`, or a zip with `format=zip`",
            "content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}},
        },
        **error_responses(404, 409, 422),
    },
)
async def agent_config(
    agent_id: str,
    user: CurrentUser,
    db: DB,
    response: Response,
    format: Annotated[str, Query(pattern="^(json|zip)$")] = "json",
    include_secrets: bool = False,
) -> dict[str, Any] | Response:
    files = await service.agent_files(db, user, agent_id, include_secrets)
    # The files can hold the user's secrets: no browser or proxy may keep a copy.
    response.headers["Cache-Control"] = "no-store"
    if format == "zip":
        agent = await service.get_agent(db, user, agent_id)
        return Response(
            service.zip_files(files),
            media_type="application/zip",
            headers={
                "Content-Disposition": f'attachment; filename="{agent["name"]}.zip"',
                "Cache-Control": "no-store",
            },
        )
    return {"files": files}
