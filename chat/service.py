"""A chat turn end to end: open the session, store the user's message, run the loop, answer."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from agents.supervisor import Supervisor
from auth.models import User
from catalog.embedders import Embedder, get_embedder
from chat import repository
from core.config import Settings
from core.db.database import Database
from core.errors import AppError
from credentials.secrets import mask
from credentials.service import redact_incoming_message
from orchestrator.events import OnEvent, ignore_event
from orchestrator.loop import Message, run_turn
from orchestrator.model_client import (
    AnthropicModelClient,
    ModelClient,
    ModelError,
    ModelResponse,
    OnText,
    usage_counts,
)
from orchestrator.offline_planner import OfflinePlanner
from orchestrator.prompts import PromptStore
from tools import ToolContext, ToolRegistry, default_registry

log = logging.getLogger(__name__)

# The model sees at most this many of a session's latest messages (older ones stay stored).
MAX_HISTORY_MESSAGES = 200


@dataclass
class ChatRuntime:
    """What every turn shares, created once per process: model client, tools, prompts."""

    settings: Settings
    model: ModelClient
    registry: ToolRegistry
    prompts: PromptStore
    embedder: Embedder
    agents: Supervisor | None = None  # set by the app's lifespan once its agent runtime runs

    @classmethod
    def create(cls, settings: Settings) -> ChatRuntime:
        """Claude when ANTHROPIC_API_KEY is set, otherwise the offline planner."""
        key = settings.anthropic_api_key
        model: ModelClient = (
            AnthropicModelClient(settings) if key and key.get_secret_value() else OfflinePlanner()
        )
        return cls(
            settings,
            model,
            default_registry(),
            PromptStore(settings.prompts_dir),
            get_embedder(settings),
        )


def http_error(error: ModelError) -> AppError:
    """A failed model call as the API reports it: 503 while the model is busy, else 502."""
    return AppError(503 if error.busy else 502, error.code, error.message)


class SessionTranscript:
    """The loop's view of a session's stored messages, always in the user's RLS scope."""

    def __init__(self, db: Database, claims: dict[str, Any], session_id: UUID) -> None:
        self.db, self.claims, self.session_id = db, claims, session_id

    async def load(self) -> list[Message]:
        async with self.db.as_user(self.claims) as conn:
            rows = await repository.recent_messages(conn, self.session_id, MAX_HISTORY_MESSAGES)
        # a window must open on something the user said, not on a tool_result of a cut pair
        while rows and (
            rows[0]["role"] != "user"
            or any(block.get("type") == "tool_result" for block in rows[0]["content"])
        ):
            rows.pop(0)
        return merge_roles(rows)

    async def append(self, *messages: Message) -> list[dict[str, Any]]:
        async with self.db.as_user(self.claims) as conn:
            await repository.fast_commit(conn)
            return await repository.add_messages(conn, self.session_id, list(messages))


@dataclass
class UsageMeter:
    """A ``ModelClient`` wrapper summing the token usage of a turn's model calls."""

    model: ModelClient
    calls: int = 0
    totals: dict[str, int] = field(default_factory=lambda: usage_counts(None))

    async def respond(
        self,
        *,
        system: list[dict[str, Any]],
        messages: list[dict[str, Any]],
        tools: list[dict[str, Any]],
        on_text: OnText | None = None,
    ) -> ModelResponse:
        response = await self.model.respond(
            system=system, messages=messages, tools=tools, on_text=on_text
        )
        self.calls += 1
        for name, count in usage_counts(response.usage).items():
            self.totals[name] += count
        return response

    async def aclose(self) -> None:
        await self.model.aclose()


def merge_roles(rows: list[dict[str, Any]]) -> list[Message]:
    """Join consecutive messages of one role (a turn that failed leaves two user messages)."""
    merged: list[Message] = []
    for row in rows:
        if merged and merged[-1]["role"] == row["role"]:
            merged[-1]["content"] = [*merged[-1]["content"], *row["content"]]
        else:
            merged.append({"role": row["role"], "content": list(row["content"])})
    return merged


def _title(message: str) -> str:
    line = " ".join(message.split())
    return line if len(line) <= 80 else line[:77].rstrip() + "..."


async def open_turn(db: Database, user: User, session_id: UUID | None, message: str) -> UUID:
    """Create the session when absent and store the user's message, secrets redacted."""
    async with db.as_user(user.claims) as conn:
        await repository.fast_commit(conn)
        if session_id is None:
            session_id = (await repository.create_session(conn, _title(mask(message))))["id"]
        elif await repository.get_session(conn, session_id) is None:
            raise AppError(404, "not_found", "Session not found.")
        text = await redact_incoming_message(conn, user.id, str(session_id), message)
        await repository.add_messages(
            conn, session_id, [{"role": "user", "content": [{"type": "text", "text": text}]}]
        )
    assert session_id is not None
    return session_id


async def run_chat_turn(
    runtime: ChatRuntime,
    db: Database,
    user: User,
    session_id: UUID,
    on_event: OnEvent = ignore_event,
    timezone: str | None = None,
) -> dict[str, Any]:
    """Run the model/tool loop for a session whose last message is the user's; shape the reply."""
    ctx = ToolContext(
        user=user,
        session_id=str(session_id),
        db=db,
        settings=runtime.settings,
        embedder=runtime.embedder,
        agents=runtime.agents,
        timezone=timezone or runtime.settings.workflow_timezone,
    )
    meter = UsageMeter(runtime.model)
    outcome = "error"
    try:
        result = await run_turn(
            model=meter,
            registry=runtime.registry,
            prompts=runtime.prompts,
            ctx=ctx,
            transcript=SessionTranscript(db, user.claims, session_id),
            max_turns=runtime.settings.chat_max_turns,
            on_event=on_event,
        )
        outcome = "ok"
    except ModelError as error:
        raise http_error(error) from None
    finally:  # failed and cancelled turns cost tokens too
        model = (
            runtime.settings.anthropic_model
            if isinstance(runtime.model, AnthropicModelClient)
            else "offline-planner"
        )
        log.info(
            "chat turn: %s model calls, %s in / %s out tokens (%s)",
            meter.calls,
            meter.totals["input_tokens"],
            meter.totals["output_tokens"],
            outcome,
            extra={
                "model": model,
                "model_calls": meter.calls,
                "outcome": outcome,
                "session_id": str(session_id),
                **meter.totals,
            },
        )
    return {
        "session_id": session_id,
        "reply": result.reply,
        "message": result.message,
        "tool_calls": result.tool_calls,
        "events": result.events,
    }


async def session_messages(
    db: Database, user: User, session_id: UUID, limit: int, cursor: str | None
) -> dict[str, Any]:
    async with db.as_user(user.claims) as conn:
        if await repository.get_session(conn, session_id) is None:
            raise AppError(404, "not_found", "Session not found.")
        items, next_cursor = await repository.list_messages(conn, session_id, limit, cursor)
    return {"items": items, "next_cursor": next_cursor}


async def history(db: Database, user: User, limit: int, cursor: str | None) -> dict[str, Any]:
    async with db.as_user(user.claims) as conn:
        items, next_cursor = await repository.list_sessions(conn, limit, cursor)
    return {"items": items, "next_cursor": next_cursor}


async def delete_session(db: Database, user: User, session_id: UUID) -> None:
    async with db.as_user(user.claims) as conn:
        if not await repository.delete_session(conn, session_id):
            raise AppError(404, "not_found", "Session not found.")
