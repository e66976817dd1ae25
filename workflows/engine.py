"""PgQueuer, the Postgres-backed engine that schedules and runs workflows across instances.

Each service instance runs one ``WorkflowEngine``: a PgQueuer queue manager (dequeues jobs with
``FOR UPDATE SKIP LOCKED``, so each job goes to one instance) and its scheduler (a cron entry that
one instance at a time claims), on a dedicated connection that also LISTENs for new jobs.
The cron entry sweeps due workflows into jobs (``workflows.sweep``); jobs are runs and polls.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import asyncpg
from pgqueuer import PgQueuer
from pgqueuer.adapters.drivers.asyncpg import AsyncpgDriver
from pgqueuer.adapters.persistence import qb
from pgqueuer.adapters.persistence.queries import Queries
from pgqueuer.domain.models import Job, Schedule
from pgqueuer.domain.settings import DBSettings
from pgqueuer.domain.types import Channel

from core.config import Settings

log = logging.getLogger(__name__)

RUN, POLL, SWEEP = "workflow_run", "workflow_poll", "workflow_sweep"
_DB_SETTINGS = DBSettings(db_schema="pgqueuer")  # sql/110_pgqueuer.sql installs it there

JobHandler = Callable[[dict[str, Any]], Awaitable[None]]
SweepHandler = Callable[[], Awaitable[None]]


def _queries(driver: AsyncpgDriver) -> Queries:
    return Queries(
        driver,
        qbe=qb.QueryBuilderEnvironment(_DB_SETTINGS),
        qbq=qb.QueryQueueBuilder(_DB_SETTINGS),
        qbs=qb.QuerySchedulerBuilder(_DB_SETTINGS),
    )


_ENQUEUE = qb.QueryQueueBuilder(_DB_SETTINGS).build_enqueue_query("skip")


async def enqueue(
    conn: asyncpg.Connection,
    entrypoint: str,
    payload: dict[str, Any],
    *,
    delay: timedelta = timedelta(0),
    dedupe_key: str | None = None,
) -> bool:
    """Queue a job in ``conn``'s transaction (it commits with our rows); False if already queued.

    PgQueuer's own enqueue query, with arguments passed as values: ``Queries.enqueue`` sends
    jsonb as text, which our pool's json codec would encode a second time.
    """
    rows = await conn.fetch(
        _ENQUEUE,
        [0],
        [entrypoint],
        [json.dumps(payload).encode()],
        [max(delay, timedelta(0))],
        [dedupe_key],
        [None],
    )
    return bool(rows)


class WorkflowEngine:
    """One instance's share of the work: start it at app start-up, stop it at shutdown.

    If the database connection drops, the engine reconnects (with backoff) until stopped.
    """

    def __init__(self, dsn: str, settings: Settings) -> None:
        self.dsn = dsn
        self.settings = settings
        self._stopping = asyncio.Event()
        self._pgq: PgQueuer | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(
        self, handlers: dict[str, JobHandler], sweep: SweepHandler | None = None
    ) -> None:
        """Serve ``handlers`` (entrypoint -> handler), and ``sweep`` on the cron entry."""
        self._stopping.clear()
        self._task = asyncio.create_task(self._serve(handlers, sweep), name="workflow-engine")

    async def _serve(self, handlers: dict[str, JobHandler], sweep: SweepHandler | None) -> None:
        backoff = 1.0
        while not self._stopping.is_set():
            conn = None
            try:
                conn = await asyncpg.connect(self.dsn)
                self._pgq = self._build(conn, handlers, sweep)
                if self._stopping.is_set():
                    return
                await self._pgq.run(
                    dequeue_timeout=timedelta(
                        seconds=self.settings.workflow_dequeue_timeout_seconds
                    ),
                    batch_size=5,
                )
                backoff = 1.0
            except Exception:  # a lost connection or a restarted database: try again
                log.exception("workflow engine stopped unexpectedly; reconnecting")
            finally:
                self._pgq = None
                if conn is not None and not conn.is_closed():
                    await conn.close()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), timeout=backoff)
            backoff = min(backoff * 2, 30.0)

    def _build(
        self, conn: asyncpg.Connection, handlers: dict[str, JobHandler], sweep: SweepHandler | None
    ) -> PgQueuer:
        driver = AsyncpgDriver(conn)
        pgq = PgQueuer(
            connection=driver, channel=Channel(_DB_SETTINGS.channel), queries=_queries(driver)
        )
        for name, handler in handlers.items():
            pgq.entrypoint(name, on_failure="delete")(_job_runner(name, handler))
        if sweep is not None:

            @pgq.schedule(SWEEP, self.settings.workflow_sweep_cron)
            async def _sweep(schedule: Schedule) -> None:
                await sweep()

        return pgq

    async def stop(self) -> None:
        """Stop taking jobs, let the running ones finish (bounded), close the connection."""
        self._stopping.set()
        if self._pgq is not None:
            self._pgq.shutdown.set()
        if self._task is not None:
            try:
                await asyncio.wait_for(self._task, timeout=30)
            except Exception:  # a stuck job must not hang the shutdown
                log.exception("workflow engine did not stop cleanly")
        self._task = None


def _job_runner(name: str, handler: JobHandler) -> Callable[[Job], Awaitable[None]]:
    async def run(job: Job) -> None:
        payload = json.loads(job.payload or b"{}")
        try:
            await handler(payload)
        except Exception:  # recorded on the run by the handler; the job itself is done
            log.exception("workflow job %s failed", name)

    return run
