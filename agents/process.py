"""Agent processes on this machine: spawn, find, stop, and explain how they ended."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import time
from collections.abc import Callable
from pathlib import Path

_LOG_HEAD_BYTES = 256_000


async def spawn(
    command: list[str],
    *,
    cwd: Path,
    env: dict[str, str],
    log_path: Path,
    preexec: Callable[[], None] | None = None,
) -> asyncio.subprocess.Process:
    """Start ``command`` in its own session, stdout and stderr into ``log_path``."""
    with log_path.open("wb") as log_file:
        return await asyncio.create_subprocess_exec(
            *command,
            cwd=str(cwd),
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=log_file,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=preexec,
        )


async def terminate(process: asyncio.subprocess.Process, grace: float = 5.0) -> None:
    """SIGTERM the process group, SIGKILL it after ``grace`` seconds."""
    if process.returncode is not None:
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        await asyncio.wait_for(process.wait(), grace)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        await process.wait()


def descendants(pid: int) -> list[int]:
    """Every live process below ``pid`` (children, grandchildren, ...)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir() if Path("/proc").is_dir() else []:
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], list(children.get(pid, []))
    while todo:
        child = todo.pop()
        found.append(child)
        todo.extend(children.get(child, []))
    return found


def processes_in(directory: Path) -> list[int]:
    """Pids whose cwd or fast-agent home is ``directory`` (finds orphaned MCP servers too)."""
    marker = f"FAST_AGENT_HOME={directory}".encode()
    found: list[int] = []
    proc = Path("/proc")
    if not proc.is_dir():
        return found
    for entry in proc.iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cwd = os.readlink(entry / "cwd")
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        if cwd == str(directory) or marker in environ.split(b"\0"):
            found.append(int(entry.name))
    return found


def _signal(pids: list[int], sig: signal.Signals) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, sig)


async def kill_leftovers(directory: Path, grace: float = 2.0) -> list[int]:
    """SIGTERM, then SIGKILL, every process still working in an agent directory."""
    pids = await asyncio.to_thread(processes_in, directory)
    if not pids:
        return []
    _signal(pids, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        await asyncio.sleep(0.1)
        if not await asyncio.to_thread(processes_in, directory):
            return pids
    _signal(await asyncio.to_thread(processes_in, directory), signal.SIGKILL)
    return pids


def log_head(log_path: Path) -> str:
    """The start of a process log, where fast-agent prints its startup error."""
    try:
        with log_path.open("rb") as fh:
            return fh.read(_LOG_HEAD_BYTES).decode("utf-8", "replace")
    except OSError:
        return ""


def startup_error(log_text: str) -> str:
    """The human part of fast-agent's startup error, without Rich tracebacks."""
    head = re.split(r"[╭╰│]", log_text, maxsplit=1)[0]
    lines = [line.strip() for line in head.splitlines() if line.strip()]
    lines = [line for line in lines if not line.startswith("Visit https://fast-agent.ai")]
    if lines:
        return " ".join(lines)[:1500]
    tail = [line.strip(" │") for line in log_text.splitlines() if line.strip(" │")]
    return " ".join(tail[-8:])[:1500] or "no output"


def exit_reason(process: asyncio.subprocess.Process, what: str, log_text: str) -> str:
    """``The agent <what>: the process exited (3). <the startup error from its log>``."""
    code = process.returncode
    how = f"was killed by signal {-code}" if code is not None and code < 0 else f"exited ({code})"
    return f"The agent {what}: the process {how}. {startup_error(log_text)}"
