"""Bring other catalogs into ours: the official MCP registry ``server.json`` (both the 2025
snake_case seed format and the current camelCase one), the Docker MCP registry
``server.yaml`` and a Claude-Desktop style ``{"mcpServers": {...}}`` config.

Values found in a Claude config are never copied: each env var or header becomes a
credential template whose value is written ``${NAME}``.
"""

import json
import re
from pathlib import Path
from typing import Any

import yaml

from catalog.models import CatalogEntry, CatalogError, parse_entry

_SECRET_WORDS = (
    "key",
    "token",
    "secret",
    "password",
    "passwd",
    "pwd",
    "auth",
    "credential",
    "cookie",
)


def slugify(name: str) -> str:
    slug = re.sub(r"[^a-z0-9._-]+", "-", name.strip().lower()).strip("-._")
    return slug[:100] or "server"


def _looks_secret(name: str) -> bool:
    return any(word in name.lower() for word in _SECRET_WORDS)


def _description(text: str | None, name: str) -> str:
    text = re.sub(r"\s+", " ", (text or "").strip())
    if len(text) < 10:
        text = f"{name} MCP server." if not text else f"{name}: {text}"
    return text[:2000]


def _var_name(name: str) -> str:
    name = re.sub(r"[^A-Za-z0-9_]", "_", name).upper()
    return name if re.match(r"[A-Za-z_]", name) else f"_{name}"


def _credential(
    name: str,
    description: str | None,
    *,
    secret: bool | None = None,
    required: bool = True,
    kind: str = "env",
    example: str | None = None,
) -> dict[str, Any]:
    desc = (description or "").strip()
    if not desc or desc.startswith("${"):
        desc = f"Value for {name}."
    cred: dict[str, Any] = {
        "name": name,
        "description": desc[:500],
        "kind": kind,
        "required": required,
        "secret": _looks_secret(name) if secret is None else secret,
    }
    if example:
        cred["example"] = str(example)
    return cred


# --- official registry server.json ---------------------------------------------------------


def from_official(data: dict[str, Any]) -> dict[str, Any]:
    """One official-registry ``server.json`` document as a raw catalog entry."""
    full_name = data["name"]
    short = full_name.rsplit("/", 1)[-1]
    title = data.get("title") or short.replace("-", " ").replace("_", " ").title()
    repo = (data.get("repository") or {}).get("url")
    homepage = data.get("websiteUrl") or data.get("website_url") or repo
    credentials: list[dict[str, Any]] = []
    launch: dict[str, Any] | None = None

    for package in data.get("packages") or []:
        registry = package.get("registryType") or package.get("registry_name")
        ident = package.get("identifier") or package.get("name")
        version = package.get("version")
        env_vars = package.get("environmentVariables") or package.get("environment_variables") or []
        names = []
        for var in env_vars:
            names.append(var["name"])
            credentials.append(
                _credential(
                    var["name"],
                    var.get("description"),
                    secret=var.get("isSecret", var.get("is_secret")),
                    required=bool(var.get("isRequired", var.get("is_required", True))),
                    example=var.get("default"),
                )
            )
        pinned = f"{ident}@{version}" if version and registry == "npm" else ident
        if registry == "npm":
            command, args = "npx", ["-y", pinned]
        elif registry == "pypi":
            command, args = "uvx", [f"{ident}=={version}" if version else ident]
        elif registry in ("docker", "oci"):
            command = "docker"
            args = [
                "run",
                "-i",
                "--rm",
                *[a for n in names for a in ("-e", n)],
                f"{ident}:{version}" if version and ":" not in ident else ident,
            ]
        else:
            continue
        for arg in package.get("packageArguments") or package.get("package_arguments") or []:
            value = (
                arg.get("value")
                or arg.get("default")
                or arg.get("value_hint")
                or arg.get("valueHint")
            )
            if arg.get("type") == "named":
                args.append(arg["name"])
            if value:
                args.append(str(value))
        launch = {
            "transport": "stdio",
            "command": command,
            "args": args,
            "env": {n: "${" + n + "}" for n in names},
        }
        break

    if launch is None:
        for remote in data.get("remotes") or []:
            kind = remote.get("type") or remote.get("transport_type") or "streamable-http"
            headers = {}
            for header in remote.get("headers") or []:
                var = _var_name(header["name"])
                headers[header["name"]] = "${" + var + "}"
                credentials.append(
                    _credential(
                        var,
                        header.get("description"),
                        secret=header.get("isSecret", header.get("is_secret", True)),
                        required=bool(header.get("isRequired", header.get("is_required", True))),
                        kind="header",
                    )
                )
            launch = {
                "transport": "sse" if kind == "sse" else "http",
                "url": remote["url"],
                "headers": headers,
            }
            break
    if launch is None:
        raise CatalogError(
            full_name, ["packages/remotes: no npm, pypi, docker package or remote to launch"]
        )
    entry: dict[str, Any] = {
        "slug": slugify(short),
        "name": title,
        "description": _description(data.get("description"), title),
        "launch": launch,
        "credentials": credentials,
        "tags": [],
        "categories": [],
    }
    if homepage:
        entry["homepage"] = homepage
    return entry


# --- Docker MCP registry server.yaml -------------------------------------------------------


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
                _credential(
                    _var_name(secret["env"]),
                    secret.get("description"),
                    secret=True,
                    required=secret.get("required", True),
                    example=secret.get("example"),
                )
            )
    for env in config.get("env") or []:
        param = re.search(r"\{\{[^.}]+\.([^}|]+)", str(env.get("value", "")))
        credentials.append(
            _credential(
                _var_name(env["name"]),
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
        "description": _description(about.get("description"), title),
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


# --- Claude Desktop mcpServers --------------------------------------------------------------


def from_claude_desktop(data: dict[str, Any]) -> list[dict[str, Any]]:
    """Every server of a ``{"mcpServers": {...}}`` config as raw catalog entries."""
    entries = []
    for key, server in (data.get("mcpServers") or {}).items():
        if server.get("url"):
            headers = {}
            credentials = []
            for header in server.get("headers") or {}:
                var = _var_name(header)
                headers[header] = "${" + var + "}"
                credentials.append(
                    _credential(var, f"Value of the {header} header.", secret=True, kind="header")
                )
            kind = server.get("type") or server.get("transport") or "http"
            launch: dict[str, Any] = {
                "transport": "sse" if kind == "sse" else "http",
                "url": server["url"],
                "headers": headers,
            }
        else:
            env = server.get("env") or {}
            credentials = [_credential(name, f"{name} for {key}.") for name in env]
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
                "description": _description(server.get("description"), key),
                "launch": launch,
                "credentials": credentials,
                "tags": [],
                "categories": [],
            }
        )
    return entries


# --- files -----------------------------------------------------------------------------------


def detect_and_convert(data: Any, source: str) -> list[dict[str, Any]]:
    """Raw catalog entries from a parsed document of any supported format."""
    if isinstance(data, list):
        return [entry for item in data for entry in detect_and_convert(item, source)]
    if not isinstance(data, dict):
        raise CatalogError(source, ["not a JSON/YAML object or list"])
    if "mcpServers" in data:
        return from_claude_desktop(data)
    if "servers" in data and isinstance(data["servers"], list):  # registry API listing
        return [
            e
            for item in data["servers"]
            for e in detect_and_convert(item.get("server", item), source)
        ]
    if "packages" in data or "remotes" in data or "version_detail" in data or "$schema" in data:
        return [from_official(data)]
    if "about" in data or "image" in data or data.get("type") in ("server", "remote"):
        return [from_docker(data)]
    if "slug" in data and "launch" in data:
        return [data]
    raise CatalogError(source, ["unknown format: expected server.json, server.yaml or mcpServers"])


def import_file(path: Path) -> tuple[list[CatalogEntry], list[str]]:
    """Convert one file; returns the valid entries and an error message per bad one."""
    text = path.read_text(encoding="utf-8")
    try:
        if path.suffix in (".yaml", ".yml"):
            documents: list[Any] = [yaml.safe_load(text)]
        elif path.suffix == ".jsonl":
            documents = [json.loads(line) for line in text.splitlines() if line.strip()]
        else:
            documents = [json.loads(text)]
    except (ValueError, yaml.YAMLError) as exc:
        return [], [f"{path}: cannot parse: {exc}"]
    if len(documents) == 1 and isinstance(documents[0], list):  # a list of server.json documents
        documents = documents[0]
    entries: list[CatalogEntry] = []
    errors: list[str] = []
    for index, document in enumerate(documents):
        source = str(path) if len(documents) == 1 else f"{path}:{index + 1}"
        try:
            raws = detect_and_convert(document, source)
        except (CatalogError, KeyError, TypeError) as exc:
            errors.append(
                str(exc) if isinstance(exc, CatalogError) else f"{source}: missing field {exc}"
            )
            continue
        for raw in raws:
            try:
                entries.append(parse_entry(raw, f"{source} ({raw.get('slug')})"))
            except CatalogError as exc:
                errors.append(str(exc))
    return entries, errors


def write_entries(entries: list[CatalogEntry], out_dir: Path) -> list[Path]:
    """Write each entry as ``<out_dir>/<slug>.json`` in our format."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for entry in entries:
        path = out_dir / f"{entry.slug}.json"
        data = entry.model_dump(mode="json", exclude_none=True)
        path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        written.append(path)
    return written
