"""The tools the model can call: plain typed async functions, described by ``tools.registry``."""

from __future__ import annotations

from tools.agents import build_agent_config, create_fast_agent
from tools.credentials import request_credentials, save_credential
from tools.registry import Tool, ToolContext, ToolError, ToolRegistry, ToolResult, tool
from tools.search import search_mcp_servers
from tools.workflows import set_workflow

__all__ = [
    "Tool",
    "ToolContext",
    "ToolError",
    "ToolRegistry",
    "ToolResult",
    "default_registry",
    "tool",
]


def default_registry() -> ToolRegistry:
    """The workflow tools, in the order the model should use them."""
    return ToolRegistry(
        [
            search_mcp_servers,
            request_credentials,
            save_credential,
            build_agent_config,
            set_workflow,
            create_fast_agent,
        ]
    )
