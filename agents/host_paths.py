"""The host paths an agent's credentials name, checked again at every start.

The shared folders may have shrunk since the value was saved, or a symlink inside one may have
been swapped: each path is resolved and checked against ``AGENT_SHARED_DIRS`` as they are now.
The agent gets the real path in its environment, and the sandbox binds that path alone.
"""

from __future__ import annotations

from pathlib import Path

from agents.agent_config import AgentConfig
from agents.errors import AgentHostPathError
from core.config import Settings
from credentials.host_paths import HostPathError, resolve_host_path


def checked_host_paths(
    settings: Settings, config: AgentConfig, secrets_env: dict[str, str]
) -> tuple[dict[str, str], list[Path]]:
    """``secrets_env`` with each host path replaced by the real path it names, and those
    paths (to bind); ``AgentHostPathError`` naming the server when one no longer passes."""
    env = dict(secrets_env)
    paths: list[Path] = []
    for ref in config.secret_refs:
        if ref.path is None or ref.env not in env:
            continue
        try:
            real = resolve_host_path(ref.name, env[ref.env], ref.path, settings)
        except HostPathError as error:
            raise AgentHostPathError(
                f"Server '{ref.server}': {error} Save another {ref.name}, then start again."
            ) from None
        env[ref.env] = real
        paths.append(Path(real))
    return env, list(dict.fromkeys(paths))
