"""A deterministic stand-in for Claude, used when no ANTHROPIC_API_KEY is set.

It speaks the same interface as ``AnthropicModelClient`` and answers with ``tool_use`` blocks that
run through the same loop and tools: search each need in the request → choose servers
(``orchestrator.selection``) → request credentials → build the config when complete → reply in
plain words. It reads only the conversation, so its choices are reproducible (the eval
baseline); ``orchestrator.conversation`` reads the state out of it: a pasted secret continues a
pending credentials request, "also add Notion" / "use GitLab instead of GitHub" / "remove Slack"
edit the selection, "done" and "start" continue.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from catalog.needs import asks_for_own_view, split_needs
from orchestrator import conversation as conv
from orchestrator.model_client import ModelResponse, OnText
from orchestrator.need_context import matches
from orchestrator.replies import asks_to_start, says_done
from orchestrator.selection import choose
from workflows.schedule import ScheduleError, find_schedule

__all__ = ["OfflinePlanner", "plan", "request_needs", "split_needs"]
MAX_SERVERS = 10


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


def request_needs(text: str) -> list[str]:
    """The needs to search for: the schedule phrase (workflows.schedule) left out, then split;
    none for a question asking the model's own view ("just your opinion")."""
    if asks_for_own_view(text):
        return []
    try:
        schedule = find_schedule(text)
    except ScheduleError:
        schedule = None
    if schedule is not None:
        start, end = schedule.span
        text = f"{text[:start]} {text[end:]}"
    return split_needs(text)


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


def _agent_name(servers: list[str]) -> str:
    base = "-".join(re.sub(r"[^a-z0-9]+", "-", s.lower()).strip("-") for s in servers[:3])
    return (f"{base}-agent" if base and base[0].isalpha() else f"agent-{base}")[:60].strip("-")


def _search(needs: list[str], say: str) -> ModelResponse:
    return _call("search_mcp_servers", {"queries": needs, "limit": 5}, say)


def _check(servers: list[str], say: str) -> ModelResponse:
    if not servers:
        return _text("No servers are left in the selection. Describe what the agent should do.")
    if len(servers) > MAX_SERVERS:  # request_credentials takes at most this many
        say += f" (keeping the first {MAX_SERVERS} of {len(servers)}; one agent, ten servers)"
    return _call("request_credentials", {"servers": servers[:MAX_SERVERS]}, say)


def _base(messages: list[dict[str, Any]], edit: conv.Edit) -> list[str]:
    """The pending selection without the servers the edit removes."""
    seen = conv.seen_servers(messages)
    return [
        slug
        for slug in conv.last_selection(messages) or []
        if not (edit.remove and matches(seen.get(slug, {"slug": slug}), set(edit.remove)))
    ]


def _save_secret(messages: list[dict[str, Any]], ref: str) -> ModelResponse | None:
    tried = conv.tried_saves(messages) | conv.saved(messages)
    for server, name in conv.missing_items(messages):
        if (server, name) not in tried:
            return _call(
                "save_credential",
                {"server": server, "name": name, "secret_ref": ref},
                f"Saving the secret you pasted as {name} for {server}.",
            )
    return None


def _on_user_text(messages: list[dict[str, Any]], text: str) -> ModelResponse:
    agent_id = conv.last_agent_id(messages)
    if agent_id and asks_to_start(text):
        return _call("create_fast_agent", {"agent_id": agent_id}, "Starting the agent.")
    selection = conv.last_selection(messages)
    if selection:
        refs = conv.secret_refs(text)
        if refs:  # a pasted secret continues the credentials step, never starts a new search
            return _save_secret(messages, refs[0]) or _text(
                f"None of {', '.join(selection)} is waiting for a secret, so I did not store "
                "it. Enter credentials in the form; servers that sign in with OAuth need none."
            )
        if says_done(text):
            return _check(selection, "Let me check your credentials again.")
        edit = conv.parse_edit(text)
        if edit is not None:
            if edit.add:
                return _search(request_needs(edit.add), f"Searching the catalog for: {edit.add}.")
            return _check(_base(messages, edit), "Updating the selection.")
    needs = request_needs(text)
    if not needs:
        if asks_for_own_view(text):
            return _text("That asks for a view, not a workflow, so it needs no tools or agent.")
        return _text("Describe the workflow you want to automate, and I will find the tools.")
    return _search(needs, f"Searching the catalog for: {'; '.join(needs)}.")


def _after_save(messages: list[dict[str, Any]], result: Any) -> ModelResponse:
    missing = result.get("missing", []) if isinstance(result, dict) else []
    if missing:
        return _text(f"Saved. Still missing: {', '.join(missing)}.")
    return _check(conv.last_selection(messages) or [], "Saved; checking the credentials again.")


def _not_in_catalog(results: Any) -> str:
    """Sentences naming the products the person uses that the catalog has no server for, and
    the named servers this host cannot run (with why)."""
    items = [
        item for item in (results if isinstance(results, list) else []) if isinstance(item, dict)
    ]
    names = [str(name) for item in items for name in item.get("not_in_catalog", [])]
    held_back = {
        str(s.get("name") or s.get("slug")): str(s.get("why_not") or "")
        for item in items
        for s in item.get("not_runnable_here", [])
        if isinstance(s, dict) and s.get("named")
    }
    out = []
    if names:
        listed = ", ".join(dict.fromkeys(n.capitalize() for n in names))
        out.append(f"The catalog has no server for {listed}, so I chose nothing in its place.")
    if held_back:
        listed = "; ".join(f"{name} ({why})" if why else name for name, why in held_back.items())
        out.append(f"Named but not runnable on this host: {listed}.")
    return " ".join(out)


def plan(messages: list[dict[str, Any]]) -> ModelResponse:
    """The next assistant message for this conversation."""
    last = messages[-1]["content"][-1]
    if last.get("type") == "text":
        return _on_user_text(messages, str(last["text"]))

    calls = {b["id"]: b for b in messages[-2]["content"] if b.get("type") == "tool_use"}
    block = next(b for b in messages[-1]["content"] if b.get("type") == "tool_result")
    call, result = calls.get(block["tool_use_id"], {}), conv.loads(block.get("content"))
    name = call.get("name")
    if block.get("is_error"):
        refs = conv.secret_refs(conv.last_user_text(messages))
        if name == "save_credential" and refs and (retry := _save_secret(messages, refs[0])):
            return retry
        chosen = ", ".join(call.get("input", {}).get("servers", []))
        picked = f" I picked: {chosen}." if chosen else ""
        return _text(f"{name} did not work: {result}{picked}")
    if not isinstance(result, dict):  # a cut or non-JSON result: say so, never crash
        return _text(f"{name} returned something I cannot read; please try again.")
    if name == "search_mcp_servers":
        chosen_slugs = choose(result.get("results", []))
        edit = conv.parse_edit(conv.last_user_text(messages))
        if edit is not None and conv.last_selection(messages):
            chosen_slugs = list(dict.fromkeys([*_base(messages, edit), *chosen_slugs]))
        lacking = _not_in_catalog(result.get("results", []))
        if not chosen_slugs:
            return _text(
                lacking or "I found no server in the catalog for this request. Can you rephrase it?"
            )
        intro = "The best match for each need: " + ", ".join(chosen_slugs)
        return _check(chosen_slugs, f"{intro}. {lacking}" if lacking else intro)
    if name == "save_credential":
        return _after_save(messages, result)
    if name == "request_credentials":
        servers = call["input"]["servers"]
        missing = [f"{server}: {item}" for server, item in conv.missing_items(messages)]
        if missing:
            # what this turn's search found lacking is said again here, in the reply itself
            lacking = _not_in_catalog(conv.this_turns_search(messages))
            return _text(
                (f"{lacking} " if lacking else "")
                + "To continue I need these credentials (enter them in the form, not in "
                f'the chat): {", ".join(missing)}. Say "done" when they are saved.'
            )
        return _call(
            "build_agent_config",
            {
                "name": _agent_name(servers),
                "servers": servers,
                "instruction": conv.first_request(messages),
            },
            "All credentials are in place; building the agent configuration.",
        )
    if name == "build_agent_config":
        agent = result.get("agent_id")
        scheduled = _workflow_call(str(agent), conv.first_request(messages)) if agent else None
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
