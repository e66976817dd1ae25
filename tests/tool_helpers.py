"""Running a tool the way the chat loop does: through the registry, as the model sees it."""

from typing import Any

from tools import ToolContext, default_registry


async def model_sees_error(ctx: ToolContext, tool: str, /, **arguments: Any) -> str:
    """Run ``tool``; assert the model gets an ``is_error`` result and return its text."""
    result = await default_registry().run(ctx, tool, arguments)
    assert result.is_error, result.content
    return result.content
