"""Prompts are Markdown files in ``prompts/``; edit one and the next turn uses it (no restart)."""

from __future__ import annotations

from pathlib import Path


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

    def system_blocks(self) -> list[dict[str, object]]:
        """The system prompt as one cached block (``prompts/system.md``)."""
        return [
            {"type": "text", "text": self.get("system"), "cache_control": {"type": "ephemeral"}}
        ]
