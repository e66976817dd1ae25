"""Prompts are Markdown files in ``prompts/``; edit one and the next turn uses it (no restart).

``system.md`` is the system prompt; ``tools/<tool name>.md`` adds guidance to a tool's own
description (its docstring), for tuning a tool's use without touching code.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


class PromptStore:
    """Reads ``<dir>/<name>.md``, re-reading a file when its modification time changes."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self._cache: dict[str, tuple[int, str]] = {}

    def get(self, name: str) -> str:
        path = self.directory / f"{name}.md"
        mtime = path.stat().st_mtime_ns
        cached = self._cache.get(name)
        if cached is None or cached[0] != mtime:
            cached = (mtime, path.read_text(encoding="utf-8").strip())
            self._cache[name] = cached
        return cached[1]

    def get_optional(self, name: str) -> str | None:
        try:
            return self.get(name)
        except FileNotFoundError:
            return None

    def with_tool_guidance(self, schemas: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Append ``prompts/tools/<tool name>.md`` (when present) to each tool's description."""
        for schema in schemas:
            guidance = self.get_optional(f"tools/{schema['name']}")
            if guidance:
                schema["description"] = f"{schema['description']}\n\n{guidance}"
        return schemas

    def system_blocks(self) -> list[dict[str, object]]:
        """The system prompt as one cached block (``prompts/system.md``)."""
        return [
            {"type": "text", "text": self.get("system"), "cache_control": {"type": "ephemeral"}}
        ]
