"""One chat turn: the model and the tools take turns until the model ends its turn.

history + system prompt + tool schemas → model → run every ``tool_use`` (concurrently) → one
user message of ``tool_result`` blocks → repeat. An assistant message with tool calls is stored
together with its results in one transaction, so a turn that fails midway never leaves a
``tool_use`` without its ``tool_result`` behind.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any, Protocol

from orchestrator.events import OnEvent, ignore_event
from orchestrator.model_client import ModelClient
from orchestrator.prompts import PromptStore
from tools.registry import ToolContext, ToolRegistry

Message = dict[str, Any]  # {"role": "user" | "assistant", "content": [block, ...]}


class Transcript(Protocol):
    """A session's stored messages."""

    async def load(self) -> list[Message]:
        """Every stored message, oldest first, ready to send to the model."""
        ...

    async def append(self, *messages: Message) -> list[dict[str, Any]]:
        """Store messages in one transaction; return the stored rows (id, role, content, ...)."""
        ...


@dataclass
class TurnResult:
    reply: str
    message: dict[str, Any]  # the stored final assistant message
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)


def text_of(content: list[dict[str, Any]]) -> str:
    return "\n\n".join(b["text"] for b in content if b.get("type") == "text" and b.get("text"))


async def run_turn(
    *,
    model: ModelClient,
    registry: ToolRegistry,
    prompts: PromptStore,
    ctx: ToolContext,
    transcript: Transcript,
    max_turns: int,
    on_event: OnEvent = ignore_event,
) -> TurnResult:
    """Run the model/tool loop over the session's transcript (ending with the user's message)."""
    result = TurnResult(reply="", message={})

    def emit_ui(event: dict[str, Any]) -> None:
        result.events.append(event)
        on_event("ui", event)

    async def on_text(text: str) -> None:
        on_event("text_delta", {"text": text})

    async def call_tool(block: dict[str, Any]) -> dict[str, Any]:
        on_event("tool_start", {"id": block["id"], "name": block["name"], "input": block["input"]})
        outcome = await registry.run(ctx, block["name"], block["input"])
        on_event(
            "tool_end",
            {
                "id": block["id"],
                "name": block["name"],
                "is_error": outcome.is_error,
                "summary": outcome.summary,
            },
        )
        return {
            "type": "tool_result",
            "tool_use_id": block["id"],
            "content": outcome.content,
            "is_error": outcome.is_error,
            "summary": outcome.summary,
        }

    ctx.emit = emit_ui
    messages = await transcript.load()
    system, tools = prompts.system_blocks(), prompts.with_tool_guidance(registry.schemas())
    for _ in range(max_turns):
        response = await model.respond(
            system=system, messages=messages, tools=tools, on_text=on_text
        )
        assistant: dict[str, Any] = {
            "role": "assistant",
            "content": response.content or _text("(no reply)"),
        }
        tool_uses = [b for b in assistant["content"] if b.get("type") == "tool_use"]
        if not tool_uses:
            [stored] = await transcript.append(assistant)
            result.message, result.reply = stored, text_of(assistant["content"])
            return result
        outcomes = await asyncio.gather(*(call_tool(block) for block in tool_uses))
        for block, outcome in zip(tool_uses, outcomes, strict=True):
            result.tool_calls.append(
                {
                    "id": block["id"],
                    "name": block["name"],
                    "input": block["input"],
                    "is_error": outcome["is_error"],
                    "summary": outcome.pop("summary"),
                }
            )
        tool_results = {"role": "user", "content": outcomes}
        await transcript.append(assistant, tool_results)
        messages += [assistant, tool_results]

    notice = _text(
        f"I stopped after {max_turns} steps without finishing. "
        "Tell me how to continue, or rephrase the request."
    )
    on_event("text_delta", {"text": notice[0]["text"]})
    [stored] = await transcript.append({"role": "assistant", "content": notice})
    result.message, result.reply = stored, notice[0]["text"]
    return result


def _text(text: str) -> list[dict[str, Any]]:
    return [{"type": "text", "text": text}]
