"""Install each MCP server's package before its agent starts, once per package, safely.

``npx``/``uvx`` servers would otherwise download inside fast-agent's short attach window. Here
each package is installed in its own step (own timeout, progress events, a clear error) into a
fresh temporary directory — inside the sandbox, since install scripts are third-party code —
and only a complete install is renamed into ``<data dir>/packages``. A killed or failed install
leaves only its temporary directory behind, never a half-written package others would use.
The server then runs the installed program directly; agents see the packages read-only.
"""

from __future__ import annotations

import asyncio
import copy
import dataclasses
import hashlib
import json
import re
import shutil
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from agents import process, sandbox
from agents.agent_config import AgentConfig
from agents.errors import AgentInstallError
from agents.runtime import ProgressCallback
from agents.workspace import pass_through
from core.config import Settings

_NPX_FLAGS = {"-y", "--yes", "-q", "--quiet"}
_UVX_VALUE_FLAGS = {"--from", "--python", "-p", "--with"}
_locks: dict[str, asyncio.Lock] = {}


def parse_npx(args: list[str]) -> tuple[str, list[str]] | None:
    """``(package spec, program args)`` of an ``npx`` launch, or None when we cannot tell."""
    for i, arg in enumerate(args):
        if arg in _NPX_FLAGS:
            continue
        return (None if arg.startswith("-") else (arg, args[i + 1 :])) if arg else None
    return None


def parse_uvx(args: list[str]) -> tuple[str, str, list[str]] | None:
    """``(package spec, program, program args)`` of a ``uvx`` launch, or None."""
    source, i = None, 0
    while i < len(args) and args[i].startswith("-"):
        if args[i] not in _UVX_VALUE_FLAGS or i + 1 >= len(args):
            return None
        if args[i] == "--from":
            source = args[i + 1]
        elif args[i] in {"--with", "--python", "-p"}:
            return None  # extra packages or another Python: leave it to uvx
        i += 2
    if i >= len(args):
        return None
    program = args[i]
    spec = source or program
    name = re.split(r"[\[=<>!~@ ;]", program, maxsplit=1)[0]
    return spec, name, args[i + 1 :]


def _npm_package_name(spec: str) -> str:
    scoped = spec.startswith("@")
    body = spec[1:] if scoped else spec
    name = body.split("@", 1)[0]
    return f"@{name}" if scoped else name


def _npm_program(package_dir: Path, spec: str) -> Path:
    name = _npm_package_name(spec)
    meta = json.loads((package_dir / "node_modules" / name / "package.json").read_text())
    bins = meta.get("bin") or {}
    if isinstance(bins, str):
        return package_dir / "node_modules" / name / bins
    short = name.rsplit("/", 1)[-1]
    # npx's own rule: the bin named like the package, else the one program all bins alias
    aliases = set(bins.values())
    chosen = short if short in bins else (next(iter(bins)) if len(aliases) == 1 else None)
    if chosen is None:
        raise AgentInstallError(f"Package {spec} has no single program to run: {sorted(bins)}")
    return package_dir / "node_modules" / ".bin" / chosen


def _install_command(kind: str, spec: str, tmp: Path) -> list[str]:
    if kind == "npm":
        return [
            shutil.which("npm") or "npm",
            "install",
            "--prefix",
            str(tmp),
            "--no-audit",
            "--no-fund",
            "--no-save",
            "--cache",
            str(tmp / ".npm-cache"),
            spec,
        ]
    uv = Path(sys.executable).parent / "uv"
    return [
        str(uv if uv.exists() else shutil.which("uv") or "uv"),
        "pip",
        "install",
        "--python",
        _python(),
        "--target",
        str(tmp / "site"),
        "--cache-dir",
        str(tmp / ".uv-cache"),
        spec,
    ]


def _python() -> str:
    return str(Path(sys.base_prefix) / "bin" / f"python{sys.version_info[0]}.{sys.version_info[1]}")


async def _run_install(settings: Settings, kind: str, spec: str, final: Path) -> None:
    tmp = final.parent / f".tmp-{final.name}-{uuid.uuid4().hex[:8]}"
    tmp.mkdir(parents=True, mode=0o700)
    command = _install_command(kind, spec, tmp)
    path = f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin"
    env = {"PATH": path, "HOME": str(tmp), "LANG": "C.UTF-8", **pass_through(settings)}
    env |= {"TMPDIR": "/tmp" if sandbox.detect(settings).enabled else str(tmp)}  # noqa: S108
    if sandbox.detect(settings).enabled:
        command = sandbox.bwrap_command(settings, tmp, command)
    log_file = final.parent / f"{tmp.name}.log"
    proc = await process.spawn(command, cwd=tmp, env=env, log_path=log_file)
    try:
        await asyncio.wait_for(proc.wait(), settings.agent_install_timeout_seconds)
    except TimeoutError:
        await process.terminate(proc, grace=1.0)
        raise AgentInstallError(
            f"Installing {spec} took longer than {settings.agent_install_timeout_seconds:g} s."
        ) from None
    finally:
        if proc.returncode is None:
            await process.terminate(proc, grace=1.0)
    said = process.log_head(log_file)[-1500:].strip()
    log_file.unlink(missing_ok=True)
    if proc.returncode != 0:
        shutil.rmtree(tmp, ignore_errors=True)
        raise AgentInstallError(f"Installing {spec} failed (exit {proc.returncode}): {said}")
    for cache in (".npm-cache", ".uv-cache"):
        shutil.rmtree(tmp / cache, ignore_errors=True)
    tmp.rename(final)  # atomic: a package directory is either complete or absent


def _clean_stale(directory: Path, name: str) -> None:
    """Leftovers of installs killed earlier (not ours: we hold the lock for ``name``)."""
    for stale in directory.glob(f".tmp-{name}-*"):
        if stale.is_dir():
            shutil.rmtree(stale, ignore_errors=True)
        else:
            stale.unlink(missing_ok=True)


async def ensure_package(settings: Settings, kind: str, spec: str) -> tuple[Path, bool]:
    """The installed package directory for ``spec`` and whether it was installed just now."""
    digest = hashlib.sha256(spec.encode()).hexdigest()[:12]
    name = f"{re.sub(r'[^A-Za-z0-9.-]+', '_', spec)[:60]}-{digest}"
    directory = settings.data_dir / "packages" / kind
    final = directory / name
    async with _locks.setdefault(f"{kind}:{name}", asyncio.Lock()):
        if final.is_dir():
            return final, False
        directory.mkdir(parents=True, exist_ok=True, mode=0o755)
        _clean_stale(directory, name)
        await _run_install(settings, kind, spec, final)
        return final, True


async def install_packages(
    settings: Settings, config: AgentConfig, on_progress: ProgressCallback | None = None
) -> AgentConfig:
    """``config`` with every npx/uvx server installed and launched from its installed program."""
    servers = copy.deepcopy(config.mcp_servers)
    for key, entry in servers.items():
        command = Path(str(entry.get("command", ""))).name
        args = [str(a) for a in entry.get("args") or []]
        if entry.get("transport") != "stdio" or command not in {"npx", "uvx"}:
            continue
        parsed_npx = parse_npx(args) if command == "npx" else None
        parsed_uvx = parse_uvx(args) if command == "uvx" else None
        spec = parsed_npx[0] if parsed_npx else parsed_uvx[0] if parsed_uvx else None
        if spec is None or "${" in spec:
            continue
        kind = "npm" if command == "npx" else "uv"
        started = time.monotonic()
        if on_progress is not None:
            await on_progress({"type": "installing", "server": key, "package": spec})
        try:
            final, fresh = await ensure_package(settings, kind, spec)
            launch = _launch(kind, final, spec, parsed_npx, parsed_uvx)
        except AgentInstallError as error:
            raise AgentInstallError(f"Server '{key}': {error}") from None
        entry["env"] = {**(entry.get("env") or {}), **launch.pop("env", {})}
        entry |= launch
        if on_progress is not None:
            seconds = round(time.monotonic() - started, 2)
            event = {"type": "installed", "server": key, "package": spec, "fresh": fresh}
            await on_progress({**event, "seconds": seconds})
    return dataclasses.replace(config, mcp_servers=servers)


def _launch(
    kind: str,
    final: Path,
    spec: str,
    npx: tuple[str, list[str]] | None,
    uvx: tuple[str, str, list[str]] | None,
) -> dict[str, Any]:
    if kind == "npm" and npx is not None:
        return {"command": str(_npm_program(final, spec)), "args": npx[1]}
    assert uvx is not None
    script = final / "site" / "bin" / uvx[1]
    if not script.exists():
        raise AgentInstallError(f"Package {spec} has no program {uvx[1]!r}")
    return {
        "command": _python(),
        "args": ["-S", str(script), *uvx[2]],
        "env": {"PYTHONPATH": str(final / "site")},
    }
