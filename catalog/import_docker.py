"""The Docker MCP registry's ``server.yaml`` and a Claude-Desktop ``{"mcpServers": {...}}`` config
as raw catalog entries.

Values found in a Claude config are never copied: each env var or header becomes a credential
template whose value is written ``${NAME}``.
"""

import re
from typing import Any

from catalog.import_common import credential, description, slugify, var_name


def from_docker(data: dict[str, Any]) -> dict[str, Any]:
    """One Docker MCP registry ``server.yaml`` document as a raw catalog entry."""
    name = data["name"]
    about = data.get("about") or {}
    raw_title = about.get("title") or name
    title = re.sub(r"\s*\((Archived|Reference)\)$", "", raw_title)
    config = data.get("config") or {}
    required = set((config.get("parameters") or {}).get("required") or [])
    credentials = []
    for secret in config.get("secrets") or []:
        if secret.get("env"):
            credentials.append(
                credential(
                    var_name(secret["env"]),
                    secret.get("description"),
                    secret=True,
                    required=secret.get("required", True),
                    example=secret.get("example"),
                )
            )
    for env in config.get("env") or []:
        param = re.search(r"\{\{[^.}]+\.([^}|]+)", str(env.get("value", "")))
        credentials.append(
            credential(
                var_name(env["name"]),
                env.get("description"),
                secret=False,
                required=bool(param and param.group(1).strip() in required),
                example=env.get("example"),
            )
        )
    names = [c["name"] for c in credentials]
    if data.get("type") == "remote" or data.get("remote"):
        remote = data["remote"]
        headers = remote.get("headers") or {}
        for cred in credentials:
            if any(cred["name"] in str(v) for v in headers.values()):
                cred["kind"] = "header"
        launch: dict[str, Any] = {
            "transport": "sse" if remote.get("transport_type") == "sse" else "http",
            "url": remote["url"],
            "headers": headers,
        }
    else:
        run = data.get("run") or {}
        args = [
            "run",
            "-i",
            "--rm",
            *[a for n in names for a in ("-e", n)],
            data.get("image") or f"mcp/{name}",
            *[a for a in run.get("command") or [] if "{{" not in a],
        ]
        launch = {
            "transport": "stdio",
            "command": "docker",
            "args": args,
            "env": {n: "${" + n + "}" for n in names},
        }
    meta = data.get("meta") or {}
    entry: dict[str, Any] = {
        "slug": slugify(name),
        "name": title,
        "description": description(about.get("description"), title),
        "tags": [t for t in meta.get("tags") or [] if t != "remote"],
        "categories": [meta["category"]] if meta.get("category") else [],
        "launch": launch,
        "credentials": credentials,
        "tools": [
            {"name": t["name"], "description": (t.get("description") or "").split("\n")[0][:300]}
            for t in data.get("tools") or []
            if t.get("name")
        ],
    }
    if re.search(r"\(Archived\)\s*$", raw_title):  # kept as a flag: selection prefers maintained
        entry["archived"] = True
    homepage = (data.get("source") or {}).get("project")
    if homepage:
        entry["homepage"] = homepage
    return entry


def from_claude_desktop(data: dict[str, Any]) -> list[dict[str, Any]]:
    """Every server of a ``{"mcpServers": {...}}`` config as raw catalog entries."""
    entries = []
    for key, server in (data.get("mcpServers") or {}).items():
        if server.get("url"):
            headers = {}
            credentials = []
            for header in server.get("headers") or {}:
                var = var_name(header)
                headers[header] = "${" + var + "}"
                credentials.append(
                    credential(var, f"Value of the {header} header.", secret=True, kind="header")
                )
            kind = server.get("type") or server.get("transport") or "http"
            launch: dict[str, Any] = {
                "transport": "sse" if kind == "sse" else "http",
                "url": server["url"],
                "headers": headers,
            }
        else:
            env = server.get("env") or {}
            credentials = [credential(name, f"{name} for {key}.") for name in env]
            launch = {
                "transport": "stdio",
                "command": server["command"],
                "args": [str(a) for a in server.get("args") or []],
                "env": {name: "${" + name + "}" for name in env},
            }
        entries.append(
            {
                "slug": slugify(key),
                "name": key,
                "description": description(server.get("description"), key),
                "launch": launch,
                "credentials": credentials,
                "tags": [],
                "categories": [],
            }
        )
    return entries
