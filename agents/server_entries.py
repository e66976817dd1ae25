"""One catalog entry -> one fast-agent ``mcp.servers`` entry, credentials as ``${VAR}`` references.

Placeholders in a launch (``${NAME}`` or ``{NAME}``, NAME a credential of the entry) become the
agent's own variable names; a value that needs an optional credential the user skipped is left
out, with the ``--flag`` before it.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import Any

from agents.agent_config import SecretRef
from agents.errors import ConfigBuildError
from agents.naming import env_var_for
from catalog.models import OAUTH_ACCESS_TOKEN, CatalogEntry, RemoteLaunch, StdioLaunch

_REFERENCE_RE = re.compile(r"\$?\{([^}]+)\}")


def server_entry(
    key: str, entry: CatalogEntry, provided: Collection[str]
) -> tuple[dict[str, Any], str, list[SecretRef]]:
    """The fast-agent server entry, its transport and the secrets it references.

    A connected OAuth server gets its access token as the bearer token (``access_token``), and
    an alternative token the catalog lists for it is left out.
    """
    names = [c.name for c in entry.credentials]
    if entry.auth == "oauth" and OAUTH_ACCESS_TOKEN in provided:
        names = [OAUTH_ACCESS_TOKEN]
    mapping = {name: env_var_for(key, name) for name in names if name in provided}
    paths = {c.name: c.path for c in entry.credentials}
    refs = [
        SecretRef(env=var, server=entry.slug, name=name, path=paths.get(name))
        for name, var in mapping.items()
    ]
    unprovided = {c.name for c in entry.credentials} - set(mapping)
    launch = entry.launch
    if isinstance(launch, StdioLaunch):
        return _stdio(launch, mapping, unprovided), "stdio", refs
    return _remote(entry.slug, launch, mapping, unprovided), launch.transport, refs


def _stdio(launch: StdioLaunch, mapping: dict[str, str], unprovided: set[str]) -> dict[str, Any]:
    out: dict[str, Any] = {"transport": "stdio", "command": launch.command}
    args = _drop_unprovided_args(_substitute(list(launch.args), mapping), unprovided)
    if args:
        out["args"] = args
    env = _drop_unprovided(_substitute(dict(launch.env), mapping), unprovided)
    for name, var in mapping.items():  # a credential the launch does not place goes by name
        if not _mentions(args, var) and not _mentions(env, var):
            env[name] = "${" + var + "}"
    if env:
        out["env"] = env
    return out


def _remote(
    slug: str, launch: RemoteLaunch, mapping: dict[str, str], unprovided: set[str]
) -> dict[str, Any]:
    url = _substitute(launch.url, mapping)
    out: dict[str, Any] = {"transport": launch.transport, "url": url}
    headers = _drop_unprovided(_substitute(dict(launch.headers), mapping), unprovided)
    for name, var in mapping.items():
        if _mentions(headers, var) or _mentions(url, var):
            continue
        # A credential the entry does not place in a header or the url is its bearer token.
        if "access_token" in out or any(h.lower() == "authorization" for h in headers):
            raise ConfigBuildError(
                f"Server {slug!r}: cannot place credential {name!r}; "
                "the catalog entry must name it in a header or the url."
            )
        out["access_token"] = "${" + var + "}"
    if headers:
        out["headers"] = headers
    out["auth"] = {"oauth": False}  # never start a browser OAuth flow in a headless agent
    return out


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


def _references(text: str) -> set[str]:
    return {m.group(1) for m in _REFERENCE_RE.finditer(text)}


def _drop_unprovided(values: dict[str, str], unprovided: set[str]) -> dict[str, str]:
    """Leave out entries that only make sense with an optional credential the user skipped."""
    return {k: v for k, v in values.items() if not _references(v) & unprovided}


def _drop_unprovided_args(args: list[str], unprovided: set[str]) -> list[str]:
    """Leave out an argument (and the ``--flag`` before it) naming a skipped optional credential."""
    out: list[str] = []
    for arg in args:
        if _references(arg) & unprovided:
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
