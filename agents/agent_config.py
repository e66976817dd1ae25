"""An agent's generated configuration: what fast-agent reads, and where the secrets go.

Every credential appears in ``fast-agent.yaml`` only as a ``${VAR}`` reference. The values go
either into ``fast-agent.secrets.yaml`` (only in what the user downloads) or into the environment
of the spawned agent process, so nothing secret is written into an agent's directory.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from agents.errors import MissingCredentialsError
from agents.literal_text import literal_instruction
from catalog.credential import PathKind

PLACEHOLDER_RE = re.compile(r"\$\{([^}]+)\}")


@dataclass(frozen=True)
class SecretRef:
    """One credential the config references: environment variable <- (server slug, name).

    ``path`` is the catalog's ``path`` of a host-path credential ("directory" or "file"):
    such a value is checked against the shared folders and bound into the sandbox at start.
    """

    env: str
    server: str
    name: str
    path: PathKind | None = None


@dataclass
class AgentConfig:
    """The generated, validated configuration of one agent (no secret values inside)."""

    name: str
    instruction: str
    default_model: str
    servers: list[dict[str, str]]  # [{key, slug, transport}]
    mcp_servers: dict[str, dict[str, Any]]  # fast-agent `mcp.servers`, with ${VAR} references
    secret_refs: list[SecretRef] = field(default_factory=list)

    @property
    def card_path(self) -> str:
        return f"agent-cards/{self.name}.md"

    def config_dict(self) -> dict[str, Any]:
        return {
            "default_model": self.default_model,
            "session_history": False,
            "logger": {
                "type": "none",
                "progress_display": False,
                "show_chat": False,
                "show_tools": False,
            },
            "mcp": {"servers": copy.deepcopy(self.mcp_servers)},
        }

    def config_yaml(self) -> str:
        return yaml.safe_dump(self.config_dict(), sort_keys=False, allow_unicode=True)

    def card_markdown(self, extra_frontmatter: dict[str, Any] | None = None) -> str:
        front: dict[str, Any] = {
            "name": self.name,
            "servers": [s["key"] for s in self.servers],
            **(extra_frontmatter or {}),
        }
        header = yaml.safe_dump(front, sort_keys=False, allow_unicode=True)
        return f"---\n{header}---\n\n{literal_instruction(self.instruction.strip())}\n"

    def secrets_dict(self, values: dict[str, dict[str, str]]) -> dict[str, Any]:
        """The secrets file content: each field holding a reference, with the value filled in."""
        env = self.process_env(values)
        servers: dict[str, Any] = {}
        for key, entry in self.mcp_servers.items():
            filled = _fill_referencing_fields(entry, env)
            if filled:
                servers[key] = filled
        return {"mcp": {"servers": servers}} if servers else {}

    def secrets_yaml(self, values: dict[str, dict[str, str]]) -> str:
        return yaml.safe_dump(self.secrets_dict(values), sort_keys=False, allow_unicode=True)

    def process_env(self, values: dict[str, dict[str, str]]) -> dict[str, str]:
        """Environment variables for the agent process: ``{VAR: value}`` for every reference."""
        env: dict[str, str] = {}
        for ref in self.secret_refs:
            value = values.get(ref.server, {}).get(ref.name)
            if value is None:
                raise MissingCredentialsError({ref.server: [ref.name]})
            env[ref.env] = value
        return env

    def files(self) -> dict[str, str]:
        """The files a person downloads (without the secrets file)."""
        return {"fast-agent.yaml": self.config_yaml(), self.card_path: self.card_markdown()}

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "instruction": self.instruction,
            "default_model": self.default_model,
            "servers": self.servers,
            "mcp_servers": self.mcp_servers,
            "secret_refs": [ref.__dict__ for ref in self.secret_refs],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> AgentConfig:
        return cls(
            name=data["name"],
            instruction=data["instruction"],
            default_model=data["default_model"],
            servers=list(data["servers"]),
            mcp_servers=dict(data["mcp_servers"]),
            secret_refs=[SecretRef(**ref) for ref in data.get("secret_refs", [])],
        )


def _fill_referencing_fields(node: Any, env: dict[str, str]) -> Any:
    """Keep only the parts of ``node`` that contain ${VAR} references, with values substituted."""
    if isinstance(node, str):
        if not PLACEHOLDER_RE.search(node):
            return None
        return PLACEHOLDER_RE.sub(lambda m: env.get(m.group(1), m.group(0)), node)
    if isinstance(node, dict):
        out = {
            k: v
            for k, v in ((k, _fill_referencing_fields(v, env)) for k, v in node.items())
            if v is not None
        }
        return out or None
    if isinstance(node, list):
        if any(_fill_referencing_fields(item, env) is not None for item in node):
            return [_fill_referencing_fields(i, env) or i for i in node]  # lists are replaced whole
        return None
    return None
