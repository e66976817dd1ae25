"""A deterministic stand-in for Claude, used when no ANTHROPIC_API_KEY is set.

It speaks the same interface as ``AnthropicModelClient`` and answers with ``tool_use`` blocks that
run through the same loop and tools: search each need in the request → pick the top server per
need → request credentials → build the config when complete → reply in plain words. It reads
only the conversation, so it is stateless and its choices are reproducible (the eval baseline).
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

from catalog.search import split_needs
from orchestrator.model_client import ModelResponse, OnText
from workflows.schedule import ScheduleError, find_schedule

_CONTINUE = re.compile(
    r"^\W*(done|ok(ay)?|yes|ready|continue|go( ahead)?|build( it)?|added|saved|i('ve| have) "
    r"(added|saved|entered|provided)|try again|check( again)?|next"
    # the page says "<Service> is connected" when an OAuth sign-in completes
    r"|[\w .'-]{1,80}?\b(is|are) (now )?connected)\b",
    re.IGNORECASE,
)
_START = re.compile(
    r"^\W*(please\s+)?(start|run|launch)( it| the agent| my agent)?\W*$", re.IGNORECASE
)
# A server is picked for a need only when the query's meaning matched it (vector similarity),
# not a lone keyword hit; measured on the dev set with the local MiniLM embedder.
MIN_SIMILARITY = 0.25


def _fits(server: dict[str, Any]) -> bool:
    similarity = server.get("similarity")
    return (
        similarity is None
        and server.get("why") != "text"
        or (similarity is not None and similarity >= MIN_SIMILARITY)
    )


def _text(text: str) -> ModelResponse:
    return ModelResponse([{"type": "text", "text": text}], "end_turn")


def _call(name: str, arguments: dict[str, Any], say: str) -> ModelResponse:
    block = {
        "type": "tool_use",
        "id": f"toolu_offline_{uuid.uuid4().hex[:16]}",
        "name": name,
        "input": arguments,
    }
    return ModelResponse([{"type": "text", "text": say}, block], "tool_use")


def _loads(content: Any) -> Any:
    if isinstance(content, list):  # tool_result content may be a list of text blocks
        content = "".join(b.get("text", "") for b in content if isinstance(b, dict))
    try:
        return json.loads(content)
    except (TypeError, ValueError):
        return content


def _last_selection(messages: list[dict[str, Any]]) -> list[str] | None:
    for message in reversed(messages):
        for block in reversed(message["content"]):
            if block.get("type") == "tool_use" and block.get("name") == "request_credentials":
                return list(block["input"].get("servers", []))
    return None


def _last_agent_id(messages: list[dict[str, Any]]) -> str | None:
    """The agent built most recently in this conversation, from build_agent_config's result."""
    for message in reversed(messages):
        for block in reversed(message["content"]):
            if block.get("type") == "tool_result" and not block.get("is_error"):
                result = _loads(block.get("content"))
                if isinstance(result, dict) and result.get("agent_id") and "files" in result:
                    return str(result["agent_id"])
    return None


def _first_request(messages: list[dict[str, Any]]) -> str:
    for message in messages:
        for block in message["content"]:
            if message["role"] == "user" and block.get("type") == "text":
                return str(block["text"])
    return ""


def _agent_name(servers: list[str]) -> str:
    base = "-".join(re.sub(r"[^a-z0-9]+", "-", s.lower()).strip("-") for s in servers[:3])
    return (f"{base}-agent" if base and base[0].isalpha() else f"agent-{base}")[:60].strip("-")


def _without_schedule(text: str) -> str:
    """The request without its schedule phrase: "every Monday" is not a need (monday.com)."""
    try:
        found = find_schedule(text)
    except ScheduleError:
        return text
    return text if found is None else text[: found.span[0]] + text[found.span[1] :]


def _workflow_call(agent_id: str, request: str) -> ModelResponse | None:
    """A set_workflow call when the request names a schedule; the task is the rest of it."""
    try:
        found = find_schedule(request)
    except ScheduleError:
        found = None  # not a schedule we can run: the agent stays on demand
    if found is None:
        return None
    rest = (request[: found.span[0]] + request[found.span[1] :]).strip(" ,.;:-")
    task = (rest[:1].upper() + rest[1:]) if rest else request
    arguments = {"agent_id": agent_id, "task": task, "schedule": found.phrase}
    return _call("set_workflow", arguments, f"Scheduling it: {found.phrase}.")


def _missing(result: Any) -> list[str]:
    statuses = result.get("servers", []) if isinstance(result, dict) else []
    return [
        f"{status.get('server')}: {item['name']}"
        for status in statuses
        for item in status.get("items", [])
        if item.get("required", True)
        and item.get("status", "provided") == "missing"
        or item.get("required", True)
        and item.get("provided") is False
    ]


def plan(messages: list[dict[str, Any]]) -> ModelResponse:
    """The next assistant message for this conversation."""
    last = messages[-1]["content"][-1]
    if last.get("type") == "text":
        agent_id = _last_agent_id(messages)
        if agent_id and _START.match(last["text"]):
            return _call("create_fast_agent", {"agent_id": agent_id}, "Starting the agent.")
        selection = _last_selection(messages)
        if selection and _CONTINUE.match(last["text"]):
            return _call(
                "request_credentials",
                {"servers": selection},
                "Let me check your credentials again.",
            )
        needs = split_needs(_without_schedule(last["text"]))
        if not needs:
            return _text("Describe the workflow you want to automate, and I will find the tools.")
        return _call(
            "search_mcp_servers",
            {"queries": needs, "limit": 3},
            f"Searching the catalog for: {'; '.join(needs)}.",
        )

    calls = {b["id"]: b for b in messages[-2]["content"] if b.get("type") == "tool_use"}
    block = next(b for b in messages[-1]["content"] if b.get("type") == "tool_result")
    call, result = calls.get(block["tool_use_id"], {}), _loads(block.get("content"))
    name = call.get("name")
    if block.get("is_error"):
        tried = ", ".join(call.get("input", {}).get("servers", []))
        chosen = f" I picked: {tried}." if tried else ""
        return _text(f"{name} did not work: {result}{chosen}")
    if not isinstance(result, dict):  # a cut or non-JSON result: say so, never crash
        return _text(f"{name} gave a result I cannot read; try a shorter request.")
    if name == "search_mcp_servers":
        picked: list[str] = []
        for item in result.get("results", []):
            top = next((s["slug"] for s in item["servers"] if _fits(s)), None)
            if top and top not in picked:
                picked.append(top)
        if not picked:
            return _text("I found no server in the catalog for this request. Can you rephrase it?")
        return _call(
            "request_credentials",
            {"servers": picked},
            f"The best match for each need: {', '.join(picked)}.",
        )
    if name == "request_credentials":
        servers = call["input"]["servers"]
        missing = _missing(result)
        if missing:
            return _text(
                "To continue I need these credentials (enter them in the form, not in "
                f'the chat): {", ".join(missing)}. Say "done" when they are saved.'
            )
        return _call(
            "build_agent_config",
            {
                "name": _agent_name(servers),
                "servers": servers,
                "instruction": _first_request(messages),
            },
            "All credentials are in place; building the agent configuration.",
        )
    if name == "build_agent_config":
        agent = result.get("agent_id") if isinstance(result, dict) else None
        scheduled = _workflow_call(agent, _first_request(messages)) if agent else None
        if scheduled is not None:
            return scheduled
        return _text(
            f"The agent configuration is ready{f' (agent {agent})' if agent else ''}. "
            'You can download it, or say "start" to run the agent.'
        )
    if name == "set_workflow":
        return _text(
            f"The agent is configured and scheduled: {result.get('confirmation')}. "
            'Say "start" to run the agent now, or use "Run now" in the agent panel.'
        )
    if name == "create_fast_agent":
        tools = [t for server in result.get("servers", []) for t in server.get("tools", [])]
        return _text(
            f"The agent is {result.get('status')} with {len(tools)} tools: "
            f"{', '.join(tools) or 'none'}. Message it from the agent panel."
        )
    return _text("Done.")


class OfflinePlanner:
    """The offline ``ModelClient``: no network, no key, the same tools."""

    async def respond(
        self,
        *,
        system: list[dict[str, Any]],
        messages: list[dict[str, Any]],
        tools: list[dict[str, Any]],
        on_text: OnText | None = None,
    ) -> ModelResponse:
        response = plan(messages)
        if on_text is not None:
            for block in response.content:
                if block["type"] == "text":
                    await on_text(block["text"])
        return response

    async def aclose(self) -> None:
        return None
