"""Turn chosen catalog entries into the files fast-agent reads: config, secrets and agent card.

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

from agents.validation import ConfigInvalidError, validate_files

SERVER_KEY_RE = re.compile(r"^[a-z][a-z0-9-]{0,30}$")
AGENT_NAME_RE = re.compile(r"^[a-z][a-z0-9-]{0,62}$")
_RAW_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.-]{0,62}$")
_ENV_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]{0,127}$")
_HEADER_RE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
_PLACEHOLDER_RE = re.compile(r"\$\{([^}]+)\}")
_TRANSPORTS = {"stdio": "stdio", "http": "http", "streamable-http": "http", "sse": "sse"}
# Variables fast-agent itself reads from its environment: a user's MCP credential must never
# become the agent's LLM key or setting, so such names get an ``MCP_`` prefix.
_RESERVED_PREFIXES = ("FAST_AGENT", "FASTMCP", "MCP__", "DEFAULT_MODEL", "LOGGER")
_RESERVED = {"PATH", "HOME", "LANG", "USER", "SHELL", "TERM", "PWD", "HF_TOKEN"}
_PROVIDER_PREFIXES = (
    "ANTHROPIC",
    "OPENAI",
    "GOOGLE",
    "GEMINI",
    "DEEPSEEK",
    "XAI",
    "GROQ",
    "OPENROUTER",
    "AZURE",
    "AWS",
    "ZAI",
    "MOONSHOT",
    "ALIYUN",
    "GENERIC",
    "TENSORZERO",
    "METAAI",
    "HF",
    "COPILOT",
)


class ConfigBuildError(ValueError):
    """The inputs cannot make a valid agent (bad name, duplicate server, bad catalog entry)."""


class MissingCredentialsError(ConfigBuildError):
    """Required credentials are not stored yet; ``missing`` maps server slug -> names."""

    def __init__(self, missing: dict[str, list[str]]) -> None:
        self.missing = missing
        listing = "; ".join(f"{slug}: {', '.join(names)}" for slug, names in missing.items())
        super().__init__(f"Missing required credentials: {listing}")


@dataclass(frozen=True)
class SecretRef:
    """One credential the config references: environment variable <- (server slug, name)."""

    env: str
    server: str
    name: str


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
        return f"---\n{header}---\n\n{self.instruction.strip()}\n"

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
        if not _PLACEHOLDER_RE.search(node):
            return None
        return _PLACEHOLDER_RE.sub(lambda m: env.get(m.group(1), m.group(0)), node)
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


def agent_name_from(raw: str) -> str:
    """A safe agent name (``^[a-z][a-z0-9-]{0,62}$``) from what the user or the model typed."""
    raw = (raw or "").strip()
    if not _RAW_NAME_RE.match(raw) or ".." in raw:
        raise ConfigBuildError(
            f"Invalid agent name {raw!r}: use letters, digits, spaces, '-', '_' or '.' "
            "(at most 63 characters, starting with a letter or digit)."
        )
    name = re.sub(r"[^a-z0-9]+", "-", raw.lower()).strip("-")
    if not name or not name[0].isalpha():
        name = f"agent-{name}".strip("-")
    return name[:63].rstrip("-")


def server_key_from(slug: str) -> str:
    """A clean fast-agent server key from a catalog slug (``^[a-z][a-z0-9-]{0,30}$``, no ``__``)."""
    key = re.sub(r"[^a-z0-9]+", "-", slug.lower()).strip("-")
    if not key:
        raise ConfigBuildError(f"Server slug {slug!r} has no usable characters.")
    if not key[0].isalpha():
        key = f"s-{key}"
    return key[:31].rstrip("-")


def _env_var_for(key: str, name: str) -> str:
    prefix = key.upper().replace("-", "_")
    var = name if name.upper().startswith(prefix + "_") else f"{prefix}_{name}"
    var = re.sub(r"[^A-Z0-9]+", "_", var.upper()).strip("_")
    if (
        var in _RESERVED
        or var.startswith(_RESERVED_PREFIXES)
        or (var.startswith(_PROVIDER_PREFIXES) and var.endswith(("_API_KEY", "_TOKEN", "_KEY")))
    ):
        var = f"MCP_{var}"
    return var


def _substitute(value: Any, mapping: dict[str, str]) -> Any:
    """Rewrite ``${NAME}``/``{NAME}`` credential placeholders in a launch value to ``${VAR}``."""
    if isinstance(value, str):
        if not mapping:
            return value
        names = "|".join(re.escape(name) for name in mapping)
        return re.sub(r"\$?\{(" + names + r")\}", lambda m: "${" + mapping[m.group(1)] + "}", value)
    if isinstance(value, list):
        return [_substitute(v, mapping) for v in value]
    if isinstance(value, dict):
        return {k: _substitute(v, mapping) for k, v in value.items()}
    return value


def _drop_unprovided(values: dict[str, str], unprovided: set[str]) -> dict[str, str]:
    """Leave out entries that only make sense with an optional credential the user skipped."""

    def refs(text: str) -> set[str]:
        return {m.group(1) for m in re.finditer(r"\$?\{([^}]+)\}", text)}

    return {k: v for k, v in values.items() if not refs(v) & unprovided}


def _drop_unprovided_args(args: list[str], unprovided: set[str]) -> list[str]:
    """Leave out an argument (and the ``--flag`` before it) naming a skipped optional credential."""
    out: list[str] = []
    for arg in args:
        if {m.group(1) for m in re.finditer(r"\$?\{([^}]+)\}", arg)} & unprovided:
            if out and out[-1].startswith("-") and "=" not in out[-1]:
                out.pop()
            continue
        out.append(arg)
    return out


def _mentions(value: Any, var: str) -> bool:
    if isinstance(value, str):
        return "${" + var + "}" in value
    if isinstance(value, list):
        return any(_mentions(v, var) for v in value)
    if isinstance(value, dict):
        return any(_mentions(v, var) for v in value.values())
    return False


def _server_entry(
    key: str, entry: dict[str, Any], provided: set[str]
) -> tuple[dict[str, Any], str, list[SecretRef]]:
    slug = entry["slug"]
    launch = dict(entry.get("launch") or {})
    transport = _TRANSPORTS.get(
        str(launch.get("transport") or ("http" if launch.get("url") else "stdio"))
    )
    if transport is None:
        raise ConfigBuildError(
            f"Server {slug!r}: unsupported transport {launch.get('transport')!r}."
        )
    creds = [c for c in entry.get("credentials") or [] if c.get("name")]
    mapping: dict[str, str] = {}
    refs: list[SecretRef] = []
    for cred in creds:
        name = str(cred["name"])
        if not _ENV_NAME_RE.match(name):
            raise ConfigBuildError(f"Server {slug!r}: invalid credential name {name!r}.")
        if name in provided:
            mapping[name] = _env_var_for(key, name)
            refs.append(SecretRef(env=mapping[name], server=slug, name=name))

    unprovided = {str(c["name"]) for c in creds} - set(mapping)
    if transport == "stdio":
        command = launch.get("command")
        if not isinstance(command, str) or not command.strip():
            raise ConfigBuildError(f"Server {slug!r}: a stdio server needs a command.")
        out: dict[str, Any] = {"transport": "stdio", "command": command}
        args = launch.get("args") or []
        if not isinstance(args, list) or not all(isinstance(a, str | int | float) for a in args):
            raise ConfigBuildError(f"Server {slug!r}: args must be a list of strings.")
        args = _drop_unprovided_args(_substitute([str(a) for a in args], mapping), unprovided)
        if args:
            out["args"] = args
        env = {str(k): str(v) for k, v in (launch.get("env") or {}).items()}
        for name in env:
            if not _ENV_NAME_RE.match(name):
                raise ConfigBuildError(f"Server {slug!r}: invalid environment name {name!r}.")
        env = _drop_unprovided(_substitute(env, mapping), unprovided)
        for name, var in mapping.items():
            if not _mentions(out.get("args", []), var) and not _mentions(env, var):
                env[name] = "${" + var + "}"
        if env:
            out["env"] = env
        if launch.get("cwd"):
            out["cwd"] = str(launch["cwd"])
    else:
        url = launch.get("url")
        if not isinstance(url, str) or not re.match(r"^https?://", url):
            raise ConfigBuildError(f"Server {slug!r}: a remote server needs an http(s) url.")
        out = {"transport": transport, "url": _substitute(url, mapping)}
        headers = {str(k): str(v) for k, v in (launch.get("headers") or {}).items()}
        for header in headers:
            if not _HEADER_RE.match(header):
                raise ConfigBuildError(f"Server {slug!r}: invalid header name {header!r}.")
        headers = _drop_unprovided(_substitute(headers, mapping), unprovided)
        for cred in creds:
            cred_var = mapping.get(cred["name"])
            if cred_var is None or _mentions(headers, cred_var) or _mentions(out["url"], cred_var):
                continue
            header = cred.get("header")
            if isinstance(header, str) and header:
                if not _HEADER_RE.match(str(header)):
                    raise ConfigBuildError(f"Server {slug!r}: invalid header name {header!r}.")
                prefix = cred.get("prefix", "Bearer " if header.lower() == "authorization" else "")
                headers[str(header)] = f"{prefix}${{{cred_var}}}"
            elif "access_token" not in out and not any(
                h.lower() == "authorization" for h in headers
            ):
                out["access_token"] = "${" + cred_var + "}"
            else:
                raise ConfigBuildError(
                    f"Server {slug!r}: cannot place credential {cred['name']!r}; "
                    "the catalog entry must say which header carries it."
                )
        if headers:
            out["headers"] = headers
        out["auth"] = {"oauth": False}  # never start a browser OAuth flow in a headless agent
    return out, transport, refs


def build_agent_config(
    entries: list[dict[str, Any]],
    *,
    agent_name: str,
    instruction: str,
    default_model: str,
    provided: dict[str, set[str]] | None = None,
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

    seen_slugs: set[str] = set()
    keys: dict[str, str] = {}
    missing: dict[str, list[str]] = {}
    for entry in entries:
        slug = entry.get("slug")
        if not isinstance(slug, str) or not slug.strip():
            raise ConfigBuildError("Every server needs a slug.")
        if slug in seen_slugs:
            raise ConfigBuildError(f"Server {slug!r} is listed twice.")
        seen_slugs.add(slug)
        key = server_key_from(slug)
        base, n = key, 2
        while key in keys.values():
            suffix = f"-{n}"
            key, n = base[: 31 - len(suffix)] + suffix, n + 1
        keys[slug] = key
        have = provided.get(slug, set())
        lacking = [
            str(c["name"])
            for c in entry.get("credentials") or []
            if c.get("required", True) and c.get("name") and c["name"] not in have
        ]
        if lacking:
            missing[slug] = lacking
    if missing:
        raise MissingCredentialsError(missing)

    servers: list[dict[str, str]] = []
    mcp_servers: dict[str, dict[str, Any]] = {}
    refs: list[SecretRef] = []
    for entry in entries:
        slug = entry["slug"]
        key = keys[slug]
        server, transport, server_refs = _server_entry(key, entry, provided.get(slug, set()))
        mcp_servers[key] = server
        servers.append({"key": key, "slug": slug, "transport": transport})
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
        for var in _PLACEHOLDER_RE.findall(yaml.safe_dump(entry)):
            if var not in known_vars:
                raise ConfigInvalidError(
                    f"mcp.servers.{key} references unknown variable ${{{var}}}"
                )
    validate_files(
        config.config_dict(), config.card_markdown(), config.name, set(config.mcp_servers)
    )
