"""What the conversation so far says, for the offline planner: the pending selection, what is
still missing, the servers search showed, and whether a message edits the selection."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

_SECRET_REF = re.compile(r"\[secret:\d+\]")
_INSTEAD = [
    re.compile(p, re.IGNORECASE)
    for p in (
        r"^\W*(?:actually,?\s+)?(?:please\s+)?(?:use|switch to|go with|try|take)\s+(?P<new>.+?)"
        r"\s+instead\s+of\s+(?P<old>.+?)\W*$",
        r"^\W*(?:actually,?\s+)?(?:please\s+)?(?:swap|exchange)\s+(?P<old>.+?)\s+for\s+(?P<new>.+?)\W*$",
        r"^\W*(?:actually,?\s+)?(?:please\s+)?replace\s+(?P<old>.+?)\s+with\s+(?P<new>.+?)\W*$",
        r"^\W*instead\s+of\s+(?P<old>.+?),?\s+(?:use\s+)?(?P<new>.+?)\W*$",
        r"^\W*(?P<new>.+?)\s+instead\s+of\s+(?P<old>.+?)\W*$",
    )
]
_REMOVE = re.compile(
    r"^\W*(?:actually,?\s+)?(?:please\s+)?(?:remove|drop|delete|skip|leave out|no more|"
    r"don'?t use|do not use|without)\s+(?:the\s+)?(?P<old>.+?)(?:\s+(?:part|step|one))?"
    r"(?:,?\s+please)?\W*$",
    re.IGNORECASE,
)
_ADD = re.compile(
    r"^\W*(?:and\s+)?(?:also|please|oh,?|and)?\s*(?:also\s+)?(?:add|include|plus|connect)\s+"
    r"(?P<new>.+?)(?:\s+(?:too|as well|also))?(?:,?\s+please)?\W*$"
    r"|^\W*(?:and\s+)?also\s+(?P<also>.+?)\W*$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Edit:
    """A change to the pending selection: words naming servers to drop, a need to add."""

    remove: frozenset[str]
    add: str | None


def _words(text: str) -> frozenset[str]:
    return frozenset(re.findall(r"[a-z0-9][a-z0-9.]*", text.lower()))


def parse_edit(text: str) -> Edit | None:
    """``"use GitLab instead of GitHub"`` → drop github, add GitLab; None for a new request."""
    for pattern in _INSTEAD:
        if m := pattern.match(text):
            return Edit(_words(m["old"]), m["new"])
    if m := _REMOVE.match(text):
        return Edit(_words(m["old"]), None)
    if m := _ADD.match(text):
        return Edit(frozenset(), m["new"] or m["also"])
    return None


def secret_refs(text: str) -> list[str]:
    """The ``[secret:N]`` references that replaced secrets the user pasted in this message."""
    return _SECRET_REF.findall(text)


def loads(content: Any) -> Any:
    """A tool result's content as JSON when it is JSON, else as text."""
    if isinstance(content, list):  # tool_result content may be a list of text blocks
        content = "".join(b.get("text", "") for b in content if isinstance(b, dict))
    try:
        return json.loads(content)
    except (TypeError, ValueError):
        return content


def _pairs(messages: list[dict[str, Any]]) -> list[tuple[dict[str, Any], Any, bool]]:
    """Every (tool_use block, parsed result, is_error) in order."""
    calls: dict[str, dict[str, Any]] = {}
    out = []
    for message in messages:
        for block in message["content"]:
            if block.get("type") == "tool_use":
                calls[block["id"]] = block
            elif block.get("type") == "tool_result" and block.get("tool_use_id") in calls:
                call = calls[block["tool_use_id"]]
                out.append((call, loads(block.get("content")), bool(block.get("is_error"))))
    return out


def last_user_index(messages: list[dict[str, Any]]) -> int:
    """Index of the last message that carries the user's own text."""
    for i in range(len(messages) - 1, -1, -1):
        if messages[i]["role"] == "user" and any(
            b.get("type") == "text" for b in messages[i]["content"]
        ):
            return i
    return 0


def last_user_text(messages: list[dict[str, Any]]) -> str:
    blocks = messages[last_user_index(messages)]["content"]
    return " ".join(str(b["text"]) for b in blocks if b.get("type") == "text")


def this_turns_search(messages: list[dict[str, Any]]) -> list[Any]:
    """The results of the search made since the person's last message ([] when none)."""
    for call, result, error in reversed(_pairs(messages[last_user_index(messages) :])):
        if call.get("name") == "search_mcp_servers" and not error and isinstance(result, dict):
            return list(result.get("results", []))
    return []


def last_selection(messages: list[dict[str, Any]]) -> list[str] | None:
    """The servers last passed to request_credentials, or None."""
    for call, _, _ in reversed(_pairs(messages)):
        if call.get("name") == "request_credentials":
            return [str(s) for s in call["input"].get("servers", [])]
    return None


def missing_items(messages: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """(server, credential) pairs still missing after the last credentials check or save."""
    for call, result, error in reversed(_pairs(messages)):
        if call.get("name") == "request_credentials" and not error and isinstance(result, dict):
            return [
                (str(status.get("server")), str(item["name"]))
                for status in result.get("servers", [])
                for item in status.get("items", [])
                if item.get("required", True) and item.get("status") == "missing"
            ]
    return []


def tried_saves(messages: list[dict[str, Any]]) -> set[tuple[str, str]]:
    """Credentials save_credential already failed for since the user's last message."""
    since = messages[last_user_index(messages) :]
    return {
        (str(call["input"].get("server")), str(call["input"].get("name")))
        for call, _, error in _pairs(since)
        if call.get("name") == "save_credential" and error
    }


def saved(messages: list[dict[str, Any]]) -> set[tuple[str, str]]:
    return {
        (str(call["input"].get("server")), str(call["input"].get("name")))
        for call, _, error in _pairs(messages)
        if call.get("name") == "save_credential" and not error
    }


def seen_servers(messages: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """slug → the server as the latest search result showed it."""
    out: dict[str, dict[str, Any]] = {}
    for call, result, error in _pairs(messages):
        if call.get("name") == "search_mcp_servers" and not error and isinstance(result, dict):
            for item in result.get("results", []):
                for server in item.get("servers", []):
                    if isinstance(server, dict) and server.get("slug"):
                        out[str(server["slug"])] = server
    return out


def last_agent_id(messages: list[dict[str, Any]]) -> str | None:
    """The agent built most recently in this conversation, from build_agent_config's result."""
    for call, result, error in reversed(_pairs(messages)):
        if call.get("name") == "build_agent_config" and not error and isinstance(result, dict):
            if result.get("agent_id"):
                return str(result["agent_id"])
    return None


def first_request(messages: list[dict[str, Any]]) -> str:
    for message in messages:
        for block in message["content"]:
            if message["role"] == "user" and block.get("type") == "text":
                return str(block["text"])
    return ""
