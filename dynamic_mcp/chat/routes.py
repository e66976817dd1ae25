"""HTTP routes for chat: thin wrappers over ``dynamic_mcp.chat.service``."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Request, Response
from fastapi.encoders import jsonable_encoder
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from dynamic_mcp.api.deps import DB, CurrentUser
from dynamic_mcp.chat import service
from dynamic_mcp.errors import AppError

router = APIRouter(tags=["chat"])

Limit = Annotated[int, Query(ge=1, le=100)]


class ChatRequest(BaseModel):
    session_id: UUID | None = None
    message: str = Field(min_length=1, max_length=20_000)


def _sse(event: str, data: Any) -> bytes:
    return f"event: {event}\ndata: {json.dumps(jsonable_encoder(data))}\n\n".encode()


async def _stream_turn(
    runtime: service.ChatRuntime, db: Any, user: Any, session_id: UUID
) -> AsyncIterator[bytes]:
    queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
    turn = asyncio.create_task(service.run_chat_turn(
        runtime, db, user, session_id, on_event=lambda name, data: queue.put_nowait((name, data))
    ))
    turn.add_done_callback(lambda _: queue.put_nowait(("", None)))
    yield _sse("session", {"session_id": session_id})
    try:
        while (item := await queue.get())[0]:
            yield _sse(*item)
        if isinstance(error := turn.exception(), AppError):
            yield _sse("error", {"error": {"code": error.code, "message": error.message}})
        elif error is not None:
            yield _sse("error", {"error": {"code": "internal_error",
                                           "message": "Something went wrong on our side."}})
        else:
            yield _sse("done", turn.result())
    finally:
        turn.cancel()  # the client went away: stop the turn (stored history stays consistent)


@router.post("/api/chat")
async def chat(body: ChatRequest, request: Request, user: CurrentUser, db: DB) -> Any:
    runtime = service.get_runtime(request.app)
    session_id = await service.open_turn(db, user, body.session_id, body.message)
    if "text/event-stream" in request.headers.get("accept", ""):
        return StreamingResponse(
            _stream_turn(runtime, db, user, session_id),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )
    return await service.run_chat_turn(runtime, db, user, session_id)


@router.get("/api/chat/history")
async def chat_history(user: CurrentUser, db: DB, limit: Limit = 20,
                       cursor: str | None = None) -> Any:
    return await service.history(db, user, limit, cursor)


@router.get("/api/sessions/{session_id}/messages")
async def session_messages(session_id: UUID, user: CurrentUser, db: DB, limit: Limit = 50,
                           cursor: str | None = None) -> Any:
    return await service.session_messages(db, user, session_id, limit, cursor)


@router.delete("/api/sessions/{session_id}", status_code=204)
async def delete_session(session_id: UUID, user: CurrentUser, db: DB) -> Response:
    await service.delete_session(db, user, session_id)
    return Response(status_code=204)
