"""Clean names for what fast-agent reads: the agent name, server keys, environment variables."""

import re

from agents.errors import ConfigBuildError

SERVER_KEY_RE = re.compile(r"^[a-z][a-z0-9-]{0,30}$")
AGENT_NAME_RE = re.compile(r"^[a-z][a-z0-9-]{0,62}$")
_RAW_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.-]{0,62}$")
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


def unique_server_keys(slugs: list[str]) -> dict[str, str]:
    """A distinct server key per slug (``github``, ``github-2`` when two slugs clean alike)."""
    keys: dict[str, str] = {}
    for slug in slugs:
        key = base = server_key_from(slug)
        n = 2
        while key in keys.values():
            suffix = f"-{n}"
            key, n = base[: 31 - len(suffix)] + suffix, n + 1
        keys[slug] = key
    return keys


def env_var_for(key: str, name: str) -> str:
    """The environment variable carrying credential ``name`` of server ``key`` to the agent."""
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
