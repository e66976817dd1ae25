"""The official MCP registry's ``server.json`` (the 2025 snake_case seed format and the current
camelCase one) as a raw catalog entry."""

from typing import Any

from catalog.import_common import credential, description, path_kind, slugify, var_name
from catalog.models import CatalogError


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
        # a container sees only what docker mounts, never the agent's sandbox: no host paths
        host = registry in ("npm", "pypi")
        for var in env_vars:
            names.append(var["name"])
            credentials.append(
                credential(
                    var["name"],
                    var.get("description"),
                    secret=var.get("isSecret", var.get("is_secret")),
                    required=bool(var.get("isRequired", var.get("is_required", True))),
                    example=var.get("default"),
                    path=path_kind(var["name"], var.get("format")) if host else None,
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
                var = var_name(header["name"])
                headers[header["name"]] = "${" + var + "}"
                credentials.append(
                    credential(
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
        "description": description(data.get("description"), title),
        "launch": launch,
        "credentials": credentials,
        "tags": [],
        "categories": [],
    }
    if homepage:
        entry["homepage"] = homepage
    return entry
