"""The events a chat turn produces while it runs, for Server-Sent Events and the JSON reply.

Each event is ``(name, data)``: ``text_delta {text}``, ``tool_start {id, name, input}``,
``tool_end {id, name, is_error, summary}``, ``ui {<UI event>}`` (``servers_found``,
``credentials_requested``, ``config_built``, ``agent_started``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

OnEvent = Callable[[str, dict[str, Any]], None]


def ignore_event(name: str, data: dict[str, Any]) -> None:
    """The default listener: JSON clients get everything in the final response instead."""
