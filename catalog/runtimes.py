"""What this host can run MCP servers with: npx (node), uvx (uv), a reachable Docker engine,
the network and native libraries. Detected once at start, reported by ``/readyz``, and passed
to every catalog search so only servers that can run here are offered."""

import asyncio
import ctypes.util
import logging
import shutil
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

_DOCKER_PROBE_SECONDS = 5.0


@dataclass(frozen=True)
class HostRuntimes:
    """The runtimes present (``available``) and, per runtime checked, how it was decided."""

    available: frozenset[str]
    details: dict[str, str] = field(default_factory=dict)

    def missing(self, requires: Iterable[str]) -> list[str]:
        """What of ``requires`` this host lacks (empty: it runs here)."""
        return [r for r in requires if r not in self.available]

    def as_dict(self) -> dict[str, object]:
        return {"available": sorted(self.available), "details": self.details}


def _which(name: str, search_path: str | None) -> str | None:
    if search_path is not None:
        return shutil.which(name, path=search_path)
    # The service's own venv holds uv/uvx even when its bin directory is not on PATH.
    return shutil.which(name) or shutil.which(name, path=str(Path(sys.executable).parent))


def _docker_engine(docker: str) -> str | None:
    """The engine's version when the docker CLI reaches one, else None."""
    try:
        done = subprocess.run(  # noqa: S603 - fixed arguments, the CLI found on PATH
            [docker, "version", "--format", "{{.Server.Version}}"],
            capture_output=True,
            text=True,
            timeout=_DOCKER_PROBE_SECONDS,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    version = done.stdout.strip()
    return version if done.returncode == 0 and version else None


def detect(
    setting: str = "auto", libs: Iterable[str] = (), search_path: str | None = None
) -> HostRuntimes:
    """The host's runtimes. ``setting`` is ``auto`` (look on ``search_path``, default PATH and
    this interpreter's bin) or a comma-separated list that replaces detection (``node,uv`` on a
    host whose Docker must not be used)."""
    if setting.strip().lower() != "auto":
        given = frozenset(r.strip() for r in setting.split(",") if r.strip())
        return HostRuntimes(given, {r: "configured" for r in sorted(given)})
    available: set[str] = set()
    details: dict[str, str] = {}
    for runtime, command in (("node", "npx"), ("uv", "uvx")):
        path = _which(command, search_path)
        details[runtime] = path or f"{command} not found"
        if path:
            available.add(runtime)
    docker = _which("docker", search_path)
    engine = _docker_engine(docker) if docker else None
    details["docker"] = (
        f"engine {engine}"
        if engine
        else ("docker CLI found, no engine answers" if docker else "docker not found")
    )
    if engine:
        available.add("docker")
    # Whether vendors are reachable cannot be told cheaply from here: assumed, and an operator
    # whose host is offline says so with HOST_RUNTIMES.
    available.add("network")
    details["network"] = "assumed"
    for lib in sorted(set(libs)):
        found = ctypes.util.find_library(lib.removeprefix("lib:"))
        details[lib] = found or "not found"
        if found:
            available.add(lib)
    return HostRuntimes(frozenset(available), details)


_detected: dict[str, HostRuntimes] = {}


def host_runtimes(setting: str = "auto", libs: Iterable[str] = ()) -> HostRuntimes:
    """``detect`` once per process (per setting); later calls return the first answer."""
    if setting not in _detected:
        _detected[setting] = detect(setting, libs)
    return _detected[setting]


async def detect_host(db: Any, setting: str = "auto") -> HostRuntimes:
    """Start-up: detect the host (in a thread: it runs ``docker version``), checking the native
    libraries the live catalog asks for, and log what was found."""
    async with db.service() as conn:
        libs = [
            r["requirement"]
            for r in await conn.fetch(
                "select distinct r as requirement from public.mcp_servers, unnest(requires) r"
                " where retired_at is null and r like 'lib:%'"
            )
        ]
    host = await asyncio.to_thread(host_runtimes, setting, libs)
    log.info("host runtimes: %s", ", ".join(sorted(host.available)) or "none")
    return host
