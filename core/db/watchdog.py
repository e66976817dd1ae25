"""Supervision of the embedded Postgres: notice that it died, start it again, renew the pool.

Without it a crashed (or killed) embedded server stays down and every request answers 503
until a person runs ``pg_ctl start``. With an external database (``DATABASE_URL``) the
provider supervises its server; the pool reconnects by itself either way.
"""

import asyncio
import contextlib
import logging

import asyncpg

from core.db.embedded import EmbeddedPostgres

log = logging.getLogger(__name__)


class PostgresWatchdog:
    """Checks the server every ``interval`` seconds; restarts it when it is gone."""

    def __init__(self, embedded: EmbeddedPostgres, pool: asyncpg.Pool, interval: float) -> None:
        self.embedded = embedded
        self.pool = pool
        self.interval = interval
        self.restarts = 0
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Begin watching (in the running event loop)."""
        self._task = asyncio.create_task(self._watch(), name="embedded-postgres-watchdog")

    async def stop(self) -> None:
        """Stop watching (before the server is stopped on purpose)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            if not self.embedded.alive():
                await self.recover()

    async def recover(self) -> None:
        """Restart the server and replace every pooled connection; failures retry next time."""
        log.error("embedded postgres (pid %s) is not running; restarting it", self.embedded.pid)
        try:
            pid = await self.embedded.restart()
        except Exception:  # it stays down: say why, and try again on the next check
            log.exception("embedded postgres did not restart; retrying in %.0f s", self.interval)
            return
        # Every pooled connection talked to the dead server: replace them all now rather than
        # one failed request at a time.
        await self.pool.expire_connections()
        self.restarts += 1
        log.warning("embedded postgres restarted (pid %s); database connections renewed", pid)
