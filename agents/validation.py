"""Check generated files with fast-agent's own models before anyone sees them.

``fast-agent check`` exits 0 on broken configs and ``get_settings()`` replaces a process-wide
cache, so we call the same pydantic model and card scanner directly (fast-agent notes §1.7).
"""

from __future__ import annotations

import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any

from agents.errors import ConfigInvalidError


@lru_cache(maxsize=1)
def _file_only_settings() -> type[Any]:
    """fast-agent's ``Settings`` reading only the given values: not this process's env or .env."""
    from fast_agent.config import Settings

    class FileOnlySettings(Settings):
        @classmethod
        def settings_customise_sources(
            cls, settings_cls: Any, init_settings: Any, *args: Any, **kwargs: Any
        ) -> tuple[Any, ...]:
            return (init_settings,)

    return FileOnlySettings


def validate_files(
    config: dict[str, Any],
    card_markdown: str,
    agent_name: str,
    server_names: set[str],
    secrets: dict[str, Any] | None = None,
) -> None:
    """Raise ``ConfigInvalidError`` unless fast-agent accepts the config and the agent card."""
    from fast_agent.config import MCPServerSettings, deep_merge
    from fast_agent.core.agent_card_validation import scan_agent_card_path
    from fast_agent.llm.model_factory import ModelFactory
    from pydantic import ValidationError

    allowed = set(MCPServerSettings.model_fields) | {"target"}
    merged = deep_merge(config, secrets or {})
    for key, entry in ((merged.get("mcp") or {}).get("servers") or {}).items():
        unknown = set(entry) - allowed
        if unknown:  # fast-agent silently ignores unknown server keys
            raise ConfigInvalidError(f"mcp.servers.{key}: unknown keys {sorted(unknown)}")
        if "__" in key:
            raise ConfigInvalidError(f"mcp.servers.{key}: '__' is fast-agent's tool separator")
    try:
        settings = _file_only_settings()(_env_file=None, **merged)
        if settings.default_model:
            ModelFactory.parse_model_string(settings.default_model)
    except ValidationError as exc:
        raise ConfigInvalidError(f"fast-agent rejects the config: {exc}") from exc
    except Exception as exc:
        raise ConfigInvalidError(f"fast-agent rejects the config: {exc}") from exc
    configured = set((settings.mcp.servers if settings.mcp else {}) or {})
    if configured != server_names:
        raise ConfigInvalidError(f"servers {sorted(configured)} != expected {sorted(server_names)}")

    with tempfile.TemporaryDirectory(prefix="dmcp-card-") as tmp:
        path = Path(tmp) / f"{agent_name}.md"
        # fast-agent's checker matches {{file:...}} even when escaped (the loader does not):
        # escaped braces are literal text, so they are not placeholders to check
        scanned = card_markdown.replace("\\{{", "{").replace("\\}}", "}")
        path.write_text(scanned, encoding="utf-8")
        results = scan_agent_card_path(Path(tmp), server_names=server_names)
    errors = [f"{r.name}: {e}" for r in results for e in r.errors]
    if errors or [r.name for r in results] != [agent_name]:
        raise ConfigInvalidError(f"fast-agent rejects the agent card: {errors or results}")
