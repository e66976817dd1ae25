"""``build_agent_config`` and ``create_fast_agent``: the model builds and starts the user's agent.

The user, the session and every secret come from the ``ToolContext``, never from arguments.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from agents import service
from tools.registry import ToolContext, ToolError


async def build_agent_config(
    ctx: ToolContext,
    name: Annotated[str, Field(min_length=1, max_length=63)],
    servers: Annotated[list[str], Field(min_length=1, max_length=10)],
    instruction: Annotated[str, Field(min_length=1, max_length=20_000)],
) -> dict[str, Any]:
    """Build and validate the fast-agent configuration for the chosen servers.

    Call this only when request_credentials reports that every required credential is provided.
    The server writes the config (credentials are referenced, never shown to you) and stores it
    as the user's agent. The result gives the agent_id to pass to create_fast_agent, and the file
    names the user can download. If a credential is missing, the error lists what is missing:
    ask the user to enter it in the form, then call this again.

    Args:
        name: A short name for the agent, e.g. "github-slack-digest" (letters, digits, hyphens).
        servers: Slugs of the chosen catalog servers, exactly as search_mcp_servers returned them.
        instruction: What the agent should do, written as its system instruction in the user's
            words, e.g. "Every morning summarise new GitHub issues and post them to Slack."
    """
    result = await service.create_config(
        ctx.db, ctx.settings, ctx.user, ctx.session_id, servers, name, instruction
    )
    agent = result["agent"]
    ctx.emit(
        {
            "type": "config_built",
            "agent_id": agent["id"],
            "name": agent["name"],
            "servers": agent["servers"],
        }
    )
    return {
        "agent_id": agent["id"],
        "name": agent["name"],
        "servers": [s["key"] for s in agent["servers"]],
        "files": sorted(result["files"]) + ["fast-agent.secrets.yaml (download only)"],
        "summary": f"agent {agent['name']} configured with {len(agent['servers'])} server(s)",
    }


async def create_fast_agent(
    ctx: ToolContext,
    agent_id: Annotated[str, Field(min_length=1, max_length=64)],
) -> dict[str, Any]:
    """Start the agent built by build_agent_config and report what it can do.

    Starting takes a few seconds. The result has the agent's status, the MCP servers it
    connected and their tools; if a server failed to start, the error says why, so you can tell
    the user what to fix (often a wrong credential). The user then talks to the agent from the app.

    Args:
        agent_id: The agent_id returned by build_agent_config.
    """
    supervisor = ctx.agents
    if supervisor is None:
        raise ToolError("Agents cannot be started here (no agent runtime). Tell the user.")

    async def progress(event: dict[str, Any]) -> None:
        # package installs before the start: the page shows them while the user waits
        ctx.emit({**event, "type": f"agent_{event['type']}", "agent_id": agent_id})

    agent = await service.start_agent(ctx.db, supervisor, ctx.user, agent_id, progress)
    ctx.emit(
        {
            "type": "agent_started",
            "agent_id": agent["id"],
            "status": agent["status"],
            "servers": agent["servers"],
            "tools": agent["tools"],
        }
    )
    return {
        "agent_id": agent["id"],
        "status": agent["status"],
        "servers": [{"name": s["key"], "tools": s.get("tools", [])} for s in agent["servers"]],
        "summary": f"agent {agent['name']} is {agent['status']} with {len(agent['tools'])} tools",
    }
