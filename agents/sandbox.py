"""The bubblewrap sandbox one agent's process tree runs in, and its resource limits.

Inside: the system (``/usr``, ``/etc``) and the runtimes agents need (this Python, its venv,
installed MCP packages, operator-listed paths) read-only; the agent's workspace writable, and
the host paths its user gave it inside the operator's shared folders (``AGENT_SHARED_DIRS``); a
private ``/tmp``; its own PID, IPC and UTS namespaces with its own ``/proc``; no capabilities.
Everything else — the data dir (keys, Postgres, other workspaces), the service's home, other
processes — is simply not there. ``--die-with-parent`` ties the tree to the service: when the
service dies, bwrap's init dies and the kernel kills every process in its PID namespace.
The network is shared with the host (agents call their APIs); see the README's security section.
"""

from __future__ import annotations

import functools
import os
import platform
import resource
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from core.browser import browser_path
from core.config import Settings

# Files under /etc that hold secrets of the host, hidden even though /etc is visible.
_MASKED_FILES = ("/etc/shadow", "/etc/gshadow", "/etc/shadow-", "/etc/gshadow-")
_MASKED_DIRS = ("/etc/ssh", "/etc/sudoers.d")
# Who the agent's processes are inside their user namespace (they map to the service's own user
# outside): anything but 0, which programs treat as root (Chromium then drops its sandbox).
SANDBOX_UID = 1000
_USER_ARGS = ["--unshare-user", "--uid", str(SANDBOX_UID), "--gid", str(SANDBOX_UID)]


@dataclass(frozen=True)
class SandboxInfo:
    """Which sandbox agents get here; ``reason`` says why there is none."""

    kind: str  # "bubblewrap" or "none"
    reason: str = ""

    @property
    def enabled(self) -> bool:
        return self.kind == "bubblewrap"


def bwrap_path() -> str | None:
    """The bubblewrap executable, if installed."""
    return shutil.which("bwrap")


def detect(settings: Settings) -> SandboxInfo:
    """The sandbox agents get under these settings on this host."""
    if settings.agent_sandbox == "off":
        return SandboxInfo("none", "AGENT_SANDBOX=off")
    if platform.system() != "Linux":
        return SandboxInfo("none", f"bubblewrap needs Linux, this is {platform.system()}")
    binary = bwrap_path()
    if binary is None:
        return SandboxInfo("none", "bubblewrap is not installed (apt-get install bubblewrap)")
    failure = _probe(binary, own_user=False)
    return (
        SandboxInfo("none", f"bubblewrap cannot run here: {failure}")
        if failure
        else SandboxInfo("bubblewrap")
    )


@functools.lru_cache(maxsize=8)
def _probe(binary: str, *, own_user: bool) -> str:
    """Why bwrap cannot make a sandbox here ('' when it can): e.g. a container's seccomp.
    ``own_user``: with a user namespace of its own, which some hosts do not allow."""
    probe = [binary, *(_USER_ARGS if own_user else []), "--unshare-pid", "--ro-bind", "/", "/"]
    probe += ["--proc", "/proc", "--", "true"]
    try:
        done = subprocess.run(probe, capture_output=True, timeout=20, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return str(exc)
    return "" if done.returncode == 0 else done.stderr.decode(errors="replace").strip()[:300]


def _user_args(binary: str) -> list[str]:
    """The tree's own user namespace, where the host allows one (else it stays uid 0)."""
    return _USER_ARGS if _probe(binary, own_user=True) == "" else []


def agents_run_as_root(settings: Settings) -> bool:
    """Whether agents' processes run as uid 0: a root service with no sandbox, or with a
    bubblewrap that cannot give them a user namespace."""
    if os.geteuid() != 0:
        return False
    binary = bwrap_path()
    return not (detect(settings).enabled and binary is not None and _user_args(binary))


def runtime_paths(settings: Settings) -> list[Path]:
    """Read-only paths an agent needs: this interpreter, its venv, operator-listed paths, and
    the browser's own folder when it lives outside ``/usr`` (``/opt/google/chrome``)."""
    paths = [Path(sys.base_prefix), Path(sys.prefix), Path(sys.executable).resolve().parent]
    paths += [settings.data_dir / "packages", *settings.agent_sandbox_paths]
    browser = browser_path(settings)
    if browser is not None and not browser.resolve().is_relative_to("/usr"):
        paths += [browser.parent, browser.resolve().parent]
    if settings.agent_ca_bundle is not None:
        paths.append(settings.agent_ca_bundle)
    unique: list[Path] = []
    for path in (p.resolve() for p in paths):
        if path.exists() and not any(path.is_relative_to(u) for u in unique):
            unique = [u for u in unique if not u.is_relative_to(path)] + [path]
    return unique


def _system_args() -> list[str]:
    args = ["--ro-bind", "/usr", "/usr"]
    for name in ("bin", "lib", "lib64", "lib32", "sbin"):
        top = Path("/") / name
        if top.is_symlink():
            args += ["--symlink", str(top.readlink()), str(top)]
        elif top.is_dir():
            args += ["--ro-bind", str(top), str(top)]
    args += ["--ro-bind", "/etc", "/etc"]
    resolv = Path("/etc/resolv.conf")
    if resolv.is_symlink() and not resolv.resolve().is_relative_to("/etc"):
        # systemd-resolved: the real file lives under /run, which is not visible otherwise
        args += ["--ro-bind", str(resolv.resolve()), str(resolv.resolve())]
    args += [a for f in _MASKED_FILES if Path(f).exists() for a in ("--ro-bind", "/dev/null", f)]
    args += [a for d in _MASKED_DIRS if Path(d).is_dir() for a in ("--tmpfs", d)]
    return args


def bwrap_command(
    settings: Settings, workspace: Path, command: list[str], shared: Sequence[Path] = ()
) -> list[str]:
    """The full bubblewrap command line running ``command`` in ``workspace``'s sandbox.

    ``shared`` are the host paths the user gave this agent, already checked against the
    shared folders (``agents.host_paths``): each is bound read-write at the same path, and
    nothing beside it becomes visible. The sandboxed tree inherits bwrap's own environment,
    which the caller builds from nothing; nothing secret is put on this command line (``ps``
    shows it to every local user).
    """
    binary = bwrap_path()
    if binary is None:
        raise FileNotFoundError("bwrap")
    args = [binary, "--die-with-parent", "--new-session", *_user_args(binary), "--cap-drop", "ALL"]
    args += ["--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try"]
    args += ["--hostname", "agent", *_system_args()]
    args += ["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]  # noqa: S108 - private tmpfs
    for path in shared:  # before the runtimes, so a runtime inside a shared folder stays read-only
        args += ["--bind", str(path), str(path)]
    for path in runtime_paths(settings):
        if not workspace.is_relative_to(path):
            args += ["--ro-bind", str(path), str(path)]
    args += ["--bind", str(workspace), str(workspace), "--chdir", str(workspace)]
    return [*args, "--", *command]


def limits_preexec(settings: Settings) -> Callable[[], None]:
    """A ``preexec_fn`` applying the per-agent resource limits (inherited by the whole tree)."""
    limits: list[tuple[int, int]] = []
    if settings.agent_memory_limit_mb > 0:
        # RLIMIT_DATA, not RLIMIT_AS: Node reserves gigabytes of address space for WebAssembly
        # (its fetch runs on it) without using them, and an address-space cap kills it
        limits.append((resource.RLIMIT_DATA, settings.agent_memory_limit_mb * 1024 * 1024))
    if settings.agent_max_processes > 0:
        limits.append((resource.RLIMIT_NPROC, settings.agent_max_processes))
    if settings.agent_max_open_files > 0:
        limits.append((resource.RLIMIT_NOFILE, settings.agent_max_open_files))
    if settings.agent_cpu_seconds > 0:
        limits.append((resource.RLIMIT_CPU, settings.agent_cpu_seconds))

    def apply() -> None:
        for kind, value in limits:
            _soft, hard = resource.getrlimit(kind)
            capped = value if hard == resource.RLIM_INFINITY else min(value, hard)
            resource.setrlimit(kind, (capped, capped))

    return apply
