"""HTTP routes for chat: thin wrappers over ``chat.service``."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Request, Response
from fastapi.encoders import jsonable_encoder
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, field_validator

from auth.models import User
from chat import service
from core.db.database import Database
from core.errors import AppError, error_responses
from dynamic_mcp.api.deps import DB, CurrentUser, Runtime
from dynamic_mcp.api.schemas import ChatTurn, MessagePage, SessionPage
from workflows.models import checked_timezone

router = APIRouter(tags=["chat"], responses=error_responses(401, 500))

Limit = Annotated[int, Query(ge=1, le=100)]


class ChatRequest(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"message": "Every morning, summarise new GitHub issues and post them to Slack."},
                {
                    "session_id": "2f1c7a52-8d0e-4c36-9a57-1f9e3b5b8d21",
                    "message": "Use the team channel.",
                },
            ]
        }
    )

    session_id: UUID | None = None
    message: str = Field(min_length=1, max_length=20_000)
    timezone: str | None = Field(
        None, max_length=64, description="The person's IANA time zone, for schedules."
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        return None if value is None else checked_timezone(value)


def _sse(event: str, data: Any) -> bytes:
    return f"event: {event}\ndata: {json.dumps(jsonable_encoder(data))}\n\n".encode()


async def _stream_turn(
    runtime: service.ChatRuntime,
    db: Database,
    user: User,
    session_id: UUID,
    timezone: str | None,
) -> AsyncIterator[bytes]:
    queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
    turn = asyncio.create_task(
        service.run_chat_turn(
            runtime,
            db,
            user,
            session_id,
            on_event=lambda name, data: queue.put_nowait((name, data)),
            timezone=timezone,
        )
    )
    turn.add_done_callback(lambda _: queue.put_nowait(("", None)))
    yield _sse("session", {"session_id": session_id})
    try:
        while (item := await queue.get())[0]:
            yield _sse(*item)
        if isinstance(error := turn.exception(), AppError):
            yield _sse("error", {"error": {"code": error.code, "message": error.message}})
        elif error is not None:
            yield _sse(
                "error",
                {
                    "error": {
                        "code": "internal_error",
                        "message": "Something went wrong on our side.",
                    }
                },
            )
        else:
            yield _sse("done", turn.result())
    finally:
        turn.cancel()  # the client went away: stop the turn (stored history stays consistent)


@router.post(
    "/api/chat",
    response_model=ChatTurn,
    summary="Send a chat message (JSON, or SSE with Accept: text/event-stream)",
    responses={
        200: {
            "description": "The turn's reply; with `Accept: text/event-stream`, a stream of "
            "`session`, `text_delta`, `tool_start`, `tool_end`, `ui`, then "
            "`done` or `error` events",
            "content": {"text/event-stream": {"schema": {"type": "string"}}},
        },
        **error_responses(404, 413, 422, 429, 502, 503),
    },
)
async def chat(
    body: ChatRequest, request: Request, user: CurrentUser, db: DB, runtime: Runtime
) -> Any:
    session_id = await service.open_turn(db, user, body.session_id, body.message)
    if "text/event-stream" in request.headers.get("accept", ""):
        return StreamingResponse(
            _stream_turn(runtime, db, user, session_id, body.timezone),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )
    return await service.run_chat_turn(runtime, db, user, session_id, timezone=body.timezone)


@router.get(
    "/api/chat/history",
    response_model=SessionPage,
    summary="List chat sessions, newest first",
    responses=error_responses(400, 422),
)
async def chat_history(
    user: CurrentUser, db: DB, limit: Limit = 20, cursor: str | None = None
) -> Any:
    return await service.history(db, user, limit, cursor)


@router.get(
    "/api/sessions/{session_id}/messages",
    response_model=MessagePage,
    summary="A session's messages",
    responses=error_responses(400, 404, 422),
)
async def session_messages(
    session_id: UUID, user: CurrentUser, db: DB, limit: Limit = 50, cursor: str | None = None
) -> Any:
    return await service.session_messages(db, user, session_id, limit, cursor)


@router.delete(
    "/api/sessions/{session_id}",
    status_code=204,
    summary="Delete a session",
    responses=error_responses(404, 422),
)
async def delete_session(session_id: UUID, user: CurrentUser, db: DB) -> Response:
    await service.delete_session(db, user, session_id)
    return Response(status_code=204)
