"""``dynamic-mcp catalog verify``: start each stdio entry for real, list its tools, record it.

Each entry is launched the way an agent launches it (its pinned package through npx or uvx,
placeholder credentials from its own template) with the MCP SDK's stdio client. The outcome
is one JSON file per entry in ``catalog/verified/``: a failure class, the stderr tail, the
start time and the tools exactly as the server declared them. The loader reads these files,
so search indexes the real tool names of every entry that started.
"""

import asyncio
import os
import re
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mcp import ClientSession, types
from mcp.client.stdio import StdioServerParameters, stdio_client

from catalog.models import CatalogEntry, StdioLaunch
from catalog.packages import Package, package_of
from catalog.verify_record import ToolInfo, Verification

STDERR_TAIL = 2000
_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_-]*)\}")

# Failure classes, checked in this order against the server's stderr (first match wins).
_CLASSES: list[tuple[str, re.Pattern[str]]] = [
    (
        "not_found",
        re.compile(
            r"E404|404 Not Found|not found in the package registry|No solution found"
            r"|all versions .* yanked|No matching distribution|is not in the npm registry",
            re.I,
        ),
    ),
    (
        "needs_native_lib",
        re.compile(
            r"cannot open shared object|\.so(\.\d+)*: cannot|Connector/C|mariadb_config|libodbc",
            re.I,
        ),
    ),
    (
        "downloads_browser",
        re.compile(
            r"playwright install|Downloading (Chromium|Chrome\b|Firefox)|chrome-headless-shell"
            r"|puppeteer.*(download|browser)",
            re.I,
        ),
    ),
    (
        "needs_oauth",
        re.compile(r"with 'auth' argument|oauth.*(first|required)|authorize this app", re.I),
    ),
    (
        "needs_network",
        re.compile(  # error codes are case-sensitive: "ModuleNotFoundError" is no ENOTFOUND
            r"\bENOTFOUND\b|\bEAI_AGAIN\b|\bECONNREFUSED\b|\bETIMEDOUT\b|getaddrinfo"
            r"|(?i:network is unreachable|name or service not known|failed to resolve"
            r"|temporary failure in name resolution|huggingface\.co|\bConnectError\b"
            # a client that connects to its service at start (Couchbase, databases)
            r"|failed to connect|could not connect to|connection refused)"
        ),
    ),
]


def runtime_of(entry: CatalogEntry) -> str:
    launch = entry.launch
    return Path(launch.command).name if isinstance(launch, StdioLaunch) else "remote"


def placeholders(entry: CatalogEntry, workdir: Path | None = None) -> dict[str, str]:
    """A value for every credential: its template's example, else a harmless dummy; a
    directory credential (``path: directory``) gets a real, empty directory (servers check
    that it exists)."""
    values = {}
    for c in entry.credentials:
        if workdir is not None and c.path == "directory":
            values[c.name] = str(workdir)
        else:
            values[c.name] = c.example or f"placeholder-{c.name.lower()}"
    return values


def _fill(text: str, values: dict[str, str]) -> str:
    return _VAR.sub(lambda m: values.get(m.group(1), ""), text)


def classify(stderr: str, default: str) -> str:
    """The failure class the stderr shows, else ``default``."""
    for status, pattern in _CLASSES:
        if pattern.search(stderr):
            return status
    return default


def _static_status(
    entry: CatalogEntry, package: Package | None, host: frozenset[str]
) -> tuple[str, str] | None:
    """(status, detail) known without launching: not a stdio server, a runtime this host
    lacks, or a source that is not a registry package."""
    if runtime_of(entry) == "remote":
        if entry.auth == "oauth":
            return "remote_oauth", "remote server behind an OAuth sign-in: nothing to start here"
        return "remote", "remote server: nothing to start here"
    missing = [r for r in entry.requires if r not in host]
    if "docker" in missing:
        return "needs_docker", "Docker image, and this host has no Docker engine"
    if package is not None and package.source == "git":
        return "needs_network", f"installs from a git URL, not a registry: {package.name}"
    if missing:
        kind = {"lib": "needs_native_lib", "network": "needs_network"}
        return kind.get(missing[0].split(":")[0], "needs_runtime"), f"needs {', '.join(missing)}"
    return None


async def verify_entry(
    entry: CatalogEntry,
    *,
    base_env: dict[str, str],
    host: frozenset[str],
    limit_seconds: float = 90.0,
    workdir: Path | None = None,
) -> Verification:
    """Start ``entry`` once, list its tools and classify the outcome. Never raises for the
    server's own failure: that is the result."""
    package = package_of(entry.launch)
    record = Verification(
        slug=entry.slug,
        runtime=runtime_of(entry),
        status="pending",
        checked=datetime.now(UTC).date().isoformat(),
        package=package.name if package else None,
        version=package.version if package else None,
        launch=entry.launch.model_dump(mode="json"),
        requires=list(entry.requires),
    )
    static = _static_status(entry, package, host)
    if static is not None:
        record.status, record.detail = static
        return record
    assert isinstance(entry.launch, StdioLaunch)
    values = placeholders(entry, workdir)
    params = StdioServerParameters(
        command=entry.launch.command,
        args=[_fill(a, values) for a in entry.launch.args],
        env={**base_env, **{k: _fill(v, values) for k, v in entry.launch.env.items()}},
        cwd=workdir,
    )
    started = time.monotonic()
    with tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace") as errlog:
        try:
            async with asyncio.timeout(limit_seconds):
                async with stdio_client(params, errlog=errlog) as (read, write):
                    async with ClientSession(read, write) as session:
                        await session.initialize()
                        listed = await _list_tools(session)
            record.status = "started"
            record.tools = listed
            record.seconds = round(time.monotonic() - started, 1)
        except TimeoutError:
            record.status = "timeout"
            record.detail = f"no tool list within {limit_seconds:.0f} s"
        except Exception as exc:  # the server's failure is the result, whatever its type
            record.status = "crashed"
            record.detail = _describe(exc)
        errlog.seek(0)
        stderr = errlog.read()
    record.stderr_tail = stderr[-STDERR_TAIL:]
    if record.status != "started":
        record.status = classify(stderr + "\n" + record.detail, record.status)
        if "inputSchema" in record.detail and "validation error" in record.detail:
            record.status = "invalid_tools"
    return record


async def _list_tools(session: Any) -> list[ToolInfo]:
    tools: list[ToolInfo] = []
    cursor: str | None = None
    while True:
        params = types.PaginatedRequestParams(cursor=cursor) if cursor else None
        page = await session.list_tools(params=params)
        tools.extend(ToolInfo(t.name, (t.description or "").strip()) for t in page.tools)
        cursor = page.next_cursor
        if not cursor:
            return tools


def _describe(exc: BaseException) -> str:
    if isinstance(exc, BaseExceptionGroup):
        return "; ".join(_describe(e) for e in exc.exceptions)
    return f"{type(exc).__name__}: {exc}"[:STDERR_TAIL]


async def verify_all(
    entries: list[CatalogEntry],
    *,
    base_env: dict[str, str],
    host: frozenset[str],
    jobs: int = 2,
    limit_seconds: float = 90.0,
    on_done: Callable[[Verification], None] | None = None,
) -> list[Verification]:
    """Verify entries ``jobs`` at a time; ``on_done(record)`` is called as each finishes."""
    gate = asyncio.Semaphore(max(1, jobs))

    async def one(entry: CatalogEntry) -> Verification:
        async with gate:
            with tempfile.TemporaryDirectory(prefix=f"verify-{entry.slug}-") as cwd:
                record = await verify_entry(
                    entry,
                    base_env=base_env,
                    host=host,
                    limit_seconds=limit_seconds,
                    workdir=Path(cwd),
                )
        if on_done is not None:
            on_done(record)
        return record

    return list(await asyncio.gather(*(one(e) for e in entries)))


# What a server needs from the caller's environment to reach the package registries from this
# host (CA bundle, proxies); nothing else of the caller's environment reaches the server.
PASS_THROUGH = (
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "NODE_EXTRA_CA_CERTS",
    "REQUESTS_CA_BUNDLE",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "NO_PROXY",
    "http_proxy",
    "https_proxy",
    "no_proxy",
)


def server_env(
    cache_dir: Path, environ: Mapping[str, str], extra: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The environment verified servers start with: PATH (this interpreter's bin first, where
    uvx lives), package caches under ``cache_dir`` (the ones agents share), uv pointed at this
    Python 3.13 and never downloading one, the pass-through variables, then ``extra``."""
    bin_dir = str(Path(sys.executable).parent)
    env = {
        "PATH": f"{bin_dir}{os.pathsep}{environ.get('PATH', os.defpath)}",
        "HOME": str(cache_dir / "home"),
        "LANG": "C.UTF-8",
        "npm_config_cache": str(cache_dir / "npm"),
        "npm_config_update_notifier": "false",
        "UV_CACHE_DIR": str(cache_dir / "uv"),
        "UV_PYTHON": sys.executable,
        "UV_PYTHON_DOWNLOADS": "never",
    }
    env.update({name: environ[name] for name in PASS_THROUGH if name in environ})
    env.update(extra or {})
    (cache_dir / "home").mkdir(parents=True, exist_ok=True)
    return env
