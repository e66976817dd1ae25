"""An agent's workspace (its files) and the environment its process tree starts with.

The workspace is a fresh 0700 directory per start: fast-agent's config and home, the agent
card, our lifecycle hook and launcher, private package caches, logs and the A2A socket. No
secret is written there: credentials reach the process only through its environment.
"""

from __future__ import annotations

import shutil
import sys
import uuid
from pathlib import Path
from typing import Any

import yaml

from agents.agent_config import AgentConfig
from agents.sandbox import agents_run_as_root
from core.browser import browser_env
from core.config import Settings

_HERE = Path(__file__).parent
_HOOK_SOURCE = _HERE / "status_hook.py"
_LAUNCHER_SOURCE = _HERE / "agent_main.py"
_SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
# a unix socket path must fit in sockaddr_un (108 bytes with its terminating NUL)
LAUNCHER = "agent_main.py"


def workspace_dir(settings: Settings, agent_id: str) -> Path:
    """Where the agent's workspace lives: ``<data dir>/agents/<uuid>``."""
    return settings.data_dir / "agents" / str(uuid.UUID(agent_id))


def socket_path(directory: Path) -> Path:
    """The unix socket the agent's A2A server listens on."""
    return directory / "a2a.sock"


def log_path(directory: Path) -> Path:
    return directory / "logs" / "serve.log"


def prepare(settings: Settings, agent_id: str, config: AgentConfig) -> Path:
    """Write a fresh workspace for ``config``; raises ``OSError`` when the disk refuses."""
    root = settings.data_dir / "agents"
    root.mkdir(parents=True, exist_ok=True, mode=0o700)
    directory = workspace_dir(settings, agent_id)
    if directory.exists():
        shutil.rmtree(directory)  # regenerate: no stale files from an earlier config
    for sub in ("agent-cards", "logs", "tmp", ".cache/npm", ".cache/uv"):
        (directory / sub).mkdir(parents=True, mode=0o700)
    directory.chmod(0o700)
    config_text = runtime_yaml(settings, config, directory)
    (directory / "fast-agent.yaml").write_text(config_text, encoding="utf-8")
    card = config.card_markdown({"lifecycle_hooks": {"on_start": "../status_hook.py:on_start"}})
    (directory / config.card_path).write_text(card, encoding="utf-8")
    shutil.copyfile(_HOOK_SOURCE, directory / "status_hook.py")
    shutil.copyfile(_LAUNCHER_SOURCE, directory / LAUNCHER)
    return directory


def runtime_yaml(settings: Settings, config: AgentConfig, directory: Path) -> str:
    """The config as spawned: stdio servers get the pass-through settings and private caches.

    fast-agent hands a stdio server only a few variables of its own environment, so the
    operator's settings are passed on explicitly, as ``${VAR}`` references resolved by
    fast-agent from its environment (the values are not written here).
    """
    data = config.config_dict()
    shared: dict[str, Any] = {
        "npm_config_cache": str(directory / ".cache" / "npm"),
        "UV_CACHE_DIR": str(directory / ".cache" / "uv"),
        "TMPDIR": "${TMPDIR}",
    }
    shared |= {name: f"${{{name}}}" for name in pass_through(settings)}
    for entry in data["mcp"]["servers"].values():
        if entry.get("transport") == "stdio":
            entry["env"] = {**shared, **(entry.get("env") or {})}
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def agent_model(settings: Settings, config: AgentConfig) -> str:
    """The model the agent runs with: the operator's override, else its config's default."""
    return settings.agent_model_override or config.default_model


def needs_anthropic_key(model: str) -> bool:
    """Whether ``model`` is one fast-agent runs with an Anthropic API key."""
    return model.startswith("anthropic.")


def pass_through(settings: Settings) -> dict[str, str]:
    """The operator's settings every agent and server process gets: the browser to drive
    (``core.browser``), the CA bundle, then the operator's extra env (which wins)."""
    env = browser_env(settings, as_root=agents_run_as_root(settings))
    if settings.agent_ca_bundle is not None:
        bundle = str(settings.agent_ca_bundle)
        env |= {"SSL_CERT_FILE": bundle, "REQUESTS_CA_BUNDLE": bundle}
        env |= {"NODE_EXTRA_CA_CERTS": bundle, "CURL_CA_BUNDLE": bundle}
    env |= settings.agent_extra_env
    return env


def agent_env(
    settings: Settings,
    directory: Path,
    config: AgentConfig,
    secrets_env: dict[str, str],
    *,
    sandboxed: bool,
) -> dict[str, str]:
    """The whole environment of the agent's process tree, built from nothing.

    Never the service's own variables (CREDENTIALS_KEY, DATABASE_URL, ANTHROPIC_API_KEY...):
    only the agent's runtime settings, the operator's pass-through settings, the model key
    meant for agents (``AGENT_ANTHROPIC_API_KEY``) and this user's credentials for its servers.
    """
    venv_bin = Path(sys.executable).parent
    env = {
        "PATH": f"{venv_bin}:{_SYSTEM_PATH}",
        "HOME": str(directory),
        "TMPDIR": "/tmp" if sandboxed else str(directory / "tmp"),  # noqa: S108 - private tmpfs
        "LANG": "C.UTF-8",
        "COLUMNS": "200",
        "FASTMCP_CHECK_FOR_UPDATES": "off",
        "FASTMCP_SHOW_SERVER_BANNER": "false",
        "FAST_AGENT_HOME": str(directory),
        "DMCP_STATUS_FILE": str(directory / "status.json"),
        # relative to the agent's working directory (its workspace): a unix socket's path is
        # limited to ~107 bytes, and a data dir may be deeper than that leaves room for
        "DMCP_A2A_SOCKET": socket_path(directory).name,
        "DMCP_LOG_DIR": str(directory / "logs"),
        "DMCP_MAX_CONVERSATIONS": str(settings.agent_max_conversations),
        "DMCP_CONVERSATION_IDLE_SECONDS": f"{settings.agent_conversation_idle_seconds:g}",
        "DMCP_SERVER_START_SECONDS": f"{settings.agent_start_timeout_seconds:g}",
    }
    env |= pass_through(settings)
    key = settings.agent_anthropic_api_key
    if key is not None and needs_anthropic_key(agent_model(settings, config)):
        env["ANTHROPIC_API_KEY"] = key.get_secret_value()
    env.update(secrets_env)
    return env
