"""What a started agent reports about itself, and why one that ended did."""

from __future__ import annotations

import asyncio
import contextlib
import json
from pathlib import Path
from typing import Any

from agents import process
from agents.agent_config import AgentConfig


def read_status(
    directory: Path, config: AgentConfig
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """``(servers, tools)`` from the status file our lifecycle hook wrote in the workspace."""
    try:
        status = json.loads((directory / "status.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        status = {}
    keys = [s["key"] for s in config.servers]
    tools = [t for t in status.get("tools", []) if _server(t) in keys]
    servers = [
        {
            **s,
            "status": "connected",
            "tools": [t["name"].split("__", 1)[1] for t in tools if _server(t) == s["key"]],
        }
        for s in config.servers
    ]
    return servers, tools


def failure(
    proc: asyncio.subprocess.Process, directory: Path, config: AgentConfig, what: str
) -> str:
    """Why the agent ended, with the last words of every server that wrote to stderr."""
    log_text = process.log_head(directory / "logs" / "serve.log")
    reason = process.exit_reason(proc, what, log_text)
    for server in config.servers:
        said = _tail(directory / "logs" / f"{server['key']}.stderr")
        if said:
            reason += f" Server '{server['key']}' said: {said}"
    return reason[:4000]


def _server(tool: dict[str, Any]) -> str:
    return str(tool["name"]).split("__", 1)[0]


def _tail(path: Path, limit: int = 600) -> str:
    with contextlib.suppress(OSError):
        lines = [line.strip() for line in path.read_text(errors="replace").splitlines()]
        return " ".join(line for line in lines if line)[-limit:]
    return ""
