"""Turn chosen catalog entries into a validated agent configuration (see ``agent_config``)."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

import yaml

from agents.agent_config import PLACEHOLDER_RE, AgentConfig, SecretRef
from agents.errors import ConfigBuildError, ConfigInvalidError, MissingCredentialsError
from agents.naming import AGENT_NAME_RE, SERVER_KEY_RE, agent_name_from, unique_server_keys
from agents.server_entries import server_entry
from agents.validation import validate_files
from catalog.models import CatalogEntry


def build_agent_config(
    entries: list[CatalogEntry],
    *,
    agent_name: str,
    instruction: str,
    default_model: str,
    provided: Mapping[str, Collection[str]] | None = None,
) -> AgentConfig:
    """Build and validate an agent's configuration from catalog entries.

    ``provided`` maps a server slug to the names of the credentials the user has stored; a
    missing required credential raises ``MissingCredentialsError`` listing all that is missing.
    """
    provided = provided or {}
    name = agent_name_from(agent_name)
    if not instruction or not instruction.strip():
        raise ConfigBuildError("The agent needs an instruction.")
    if not entries:
        raise ConfigBuildError("Choose at least one MCP server for the agent.")
    slugs = [entry.slug for entry in entries]
    if len(set(slugs)) != len(slugs):
        twice = sorted({s for s in slugs if slugs.count(s) > 1})
        raise ConfigBuildError(f"Server {twice[0]!r} is listed twice.")
    missing = {
        entry.slug: lacking
        for entry in entries
        if (lacking := entry.missing_credentials(provided.get(entry.slug, ())))
    }
    if missing:
        raise MissingCredentialsError(missing)

    keys = unique_server_keys(slugs)
    servers: list[dict[str, str]] = []
    mcp_servers: dict[str, dict[str, Any]] = {}
    refs: list[SecretRef] = []
    for entry in entries:
        key = keys[entry.slug]
        server, transport, server_refs = server_entry(key, entry, provided.get(entry.slug, ()))
        mcp_servers[key] = server
        servers.append({"key": key, "slug": entry.slug, "transport": transport})
        refs.extend(server_refs)
    env_names = [ref.env for ref in refs]
    if len(env_names) != len(set(env_names)):
        raise ConfigBuildError(f"Credential variable names collide: {sorted(env_names)}.")

    config = AgentConfig(
        name=name,
        instruction=instruction,
        default_model=qualify_model(default_model),
        servers=servers,
        mcp_servers=mcp_servers,
        secret_refs=refs,
    )
    validate_config(config)
    return config


def qualify_model(model: str) -> str:
    """``provider.model``, so the config does not depend on this build's alias table."""
    from fast_agent.llm.model_factory import ModelFactory

    try:
        parsed = ModelFactory.parse_model_string(model)
    except Exception as exc:
        raise ConfigInvalidError(
            f"default_model {model!r} is not a model fast-agent knows: {exc}"
        ) from exc
    provider = parsed.provider.value
    return model if model.startswith(f"{provider}.") else f"{provider}.{model}"


def validate_config(config: AgentConfig) -> None:
    """Validate with fast-agent's own Settings model and card loader, plus our own checks."""
    if not AGENT_NAME_RE.match(config.name):
        raise ConfigInvalidError(f"agent name {config.name!r} is not a clean name")
    known_vars = {ref.env for ref in config.secret_refs}
    for key, entry in config.mcp_servers.items():
        if not SERVER_KEY_RE.match(key) or "__" in key:
            raise ConfigInvalidError(f"server key {key!r} is not a clean key")
        for var in PLACEHOLDER_RE.findall(yaml.safe_dump(entry)):
            if var not in known_vars:
                raise ConfigInvalidError(
                    f"mcp.servers.{key} references unknown variable ${{{var}}}"
                )
    validate_files(
        config.config_dict(), config.card_markdown(), config.name, set(config.mcp_servers)
    )
