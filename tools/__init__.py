"""The tools the model can call: plain typed async functions, described by ``tools.registry``."""

from __future__ import annotations

from typing import Any

from tools.registry import Tool, ToolContext, ToolError, ToolRegistry, ToolResult, tool
from tools.search import search_mcp_servers

__all__ = ["Tool", "ToolContext", "ToolError", "ToolRegistry", "ToolResult", "default_registry",
           "tool"]


def _not_available(name: str) -> ToolError:
    return ToolError(f"{name} is not available yet on this server; tell the user it is coming.")


try:
    from tools.credentials import request_credentials, save_credential
except ImportError:  # the credentials feature is not installed yet

    async def request_credentials(ctx: ToolContext, servers: list[str]) -> Any:
        """Ask the user for the credentials the chosen servers need (shown as a form in the UI).

        Args:
            servers: Slugs of the chosen servers, as returned by search_mcp_servers.
        """
        raise _not_available("request_credentials")

    async def save_credential(ctx: ToolContext, server: str, name: str, secret_ref: str) -> Any:
        """Store a credential the user pasted into the chat (it appears as a [secret:N] reference).

        Args:
            server: Slug of the server the credential belongs to.
            name: The credential's name, e.g. GITHUB_TOKEN.
            secret_ref: The [secret:N] reference that replaced the pasted value.
        """
        raise _not_available("save_credential")

try:
    from tools.agents import build_agent_config, create_fast_agent
except ImportError:  # the fast-agent feature is not installed yet

    async def build_agent_config(ctx: ToolContext, name: str, servers: list[str],
                                 instruction: str = "") -> Any:
        """Build the fast-agent configuration for the chosen servers once credentials are complete.

        Args:
            name: A short lowercase name for the agent, e.g. github-slack-digest.
            servers: Slugs of the servers the agent uses.
            instruction: What the agent should do, in the user's words.
        """
        raise _not_available("build_agent_config")

    async def create_fast_agent(ctx: ToolContext, agent_id: str) -> Any:
        """Start the agent built by build_agent_config and report its servers and tools.

        Args:
            agent_id: The agent_id returned by build_agent_config.
        """
        raise _not_available("create_fast_agent")


def default_registry() -> ToolRegistry:
    """The five workflow tools, in the order the model should use them."""
    return ToolRegistry([search_mcp_servers, request_credentials, save_credential,
                         build_agent_config, create_fast_agent])
