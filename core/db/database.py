"""The connection pool and the two ways to use it: as a user (RLS applies) or as the service.

Each user request runs in one transaction that switches to the ``authenticated`` role and
sets ``request.jwt.claims``, as PostgREST does, so the policies written with ``auth.uid()``
hold on the embedded database and on Supabase alike. Both settings are transaction-local and
vanish at commit or rollback, so nothing leaks to the next user of a pooled connection.
"""

import json
import logging
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

import asyncpg

from core.config import Settings
from core.db.embedded import EmbeddedPostgres
from core.db.migrations import apply_migrations
from core.db.watchdog import PostgresWatchdog
from core.errors import AppError

log = logging.getLogger(__name__)

_SET_USER_SCOPE = (
    "select set_config('search_path', 'public, extensions', true),"
    " set_config('role', 'authenticated', true),"
    " set_config('request.jwt.claims', $1, true)"
)

# Raised by queries when the server goes away mid-request.
_CONNECTION_LOST = (
    asyncpg.exceptions.CannotConnectNowError,
    asyncpg.exceptions.PostgresConnectionError,  # class 08, incl. ConnectionDoesNotExistError
    asyncpg.exceptions.InterfaceError,
    asyncpg.exceptions.AdminShutdownError,
    asyncpg.exceptions.CrashShutdownError,
    asyncpg.exceptions.TooManyConnectionsError,
    # a connection cut mid-query can come back from the pool with its protocol mid-operation
    asyncpg.exceptions.InternalClientError,
)
# Raised while acquiring a connection when the server cannot be reached at all.
_CANNOT_CONNECT = (OSError, TimeoutError, *_CONNECTION_LOST)


def _unavailable() -> AppError:
    return AppError(503, "database_unavailable", "The database is unavailable; try again shortly.")


def _discard(conn: asyncpg.Connection) -> None:
    """Close a connection that failed mid-use so the pool opens a fresh one next time."""
    try:
        conn.terminate()
    except asyncpg.exceptions.InterfaceError:
        pass  # already detached from the pool by asyncpg itself


def _is_lost(conn: asyncpg.Connection) -> bool:
    try:
        return bool(conn.is_closed())
    except asyncpg.exceptions.InterfaceError:
        return True  # asyncpg detached it from the pool when the connection dropped


async def _init_connection(conn: asyncpg.Connection) -> None:
    for type_name in ("json", "jsonb"):
        await conn.set_type_codec(
            type_name, encoder=json.dumps, decoder=json.loads, schema="pg_catalog"
        )


class Database:
    """An asyncpg pool plus, in the embedded default, the Postgres server it talks to."""

    def __init__(self, pool: asyncpg.Pool, dsn: str, embedded: EmbeddedPostgres | None) -> None:
        self.pool = pool
        self.dsn = dsn  # holds the embedded server's password: never log it or pass it on
        self.embedded = embedded
        self.watchdog: PostgresWatchdog | None = None

    @classmethod
    async def open(cls, settings: Settings, *, migrate: bool = True) -> "Database":
        """Connect (starting the embedded server when DATABASE_URL is unset) and migrate."""
        embedded = None
        dsn = settings.database_url
        if not dsn:
            embedded = EmbeddedPostgres(settings.ensure_data_dir() / "postgres")
            dsn = await embedded.start()
        pool = await asyncpg.create_pool(
            dsn,
            min_size=settings.db_pool_min,
            max_size=settings.db_pool_max,
            statement_cache_size=settings.db_statement_cache_size,
            init=_init_connection,
            command_timeout=60,
        )
        db = cls(pool, dsn, embedded)
        if embedded is not None and settings.embedded_postgres_check_seconds > 0:
            db.watchdog = PostgresWatchdog(embedded, pool, settings.embedded_postgres_check_seconds)
            db.watchdog.start()
        if migrate:
            await db.migrate(settings)
        return db

    async def migrate(self, settings: Settings) -> list[str]:
        """Apply pending migrations from the settings' SQL directory."""
        async with self.pool.acquire() as conn:
            return await apply_migrations(conn, settings.sql_dir)

    async def close(self) -> None:
        """Close the pool and stop the embedded server, if any."""
        if self.watchdog is not None:
            await self.watchdog.stop()
        await self.pool.close()
        if self.embedded is not None:
            await self.embedded.stop()

    @asynccontextmanager
    async def as_user(self, claims: Mapping[str, Any]) -> AsyncIterator[asyncpg.Connection]:
        """A transaction in which RLS applies for the user whose verified claims are given."""
        if not claims.get("sub"):
            raise ValueError("as_user needs verified claims with a 'sub'")
        # The role comes from our code, never from the token: the database role is always
        # 'authenticated' for a user request.
        scoped_claims = json.dumps({**claims, "role": "authenticated"})
        try:
            async with self._transaction() as conn:
                await conn.execute(_SET_USER_SCOPE, scoped_claims)
                yield conn
        except asyncpg.exceptions.ForeignKeyViolationError as exc:
            # A still-valid token whose user was deleted: rows can no longer reference it.
            if (exc.constraint_name or "").endswith("_user_id_fkey"):
                raise AppError(
                    401, "unknown_user", "This account no longer exists; sign in again."
                ) from exc
            raise

    @asynccontextmanager
    async def service(self) -> AsyncIterator[asyncpg.Connection]:
        """A privileged transaction for catalog maintenance and admin jobs (bypasses RLS)."""
        async with self._transaction() as conn:
            await conn.execute("select set_config('search_path', 'public, extensions', true)")
            yield conn

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[asyncpg.Connection]:
        try:
            conn = await self.pool.acquire(timeout=10)
        except _CANNOT_CONNECT as exc:
            raise _unavailable() from exc
        try:
            async with conn.transaction():
                yield conn
        except _CONNECTION_LOST as exc:
            _discard(conn)
            raise _unavailable() from exc
        except Exception as exc:
            if _is_lost(conn):  # whatever the query saw, the cause is the lost connection
                raise _unavailable() from exc
            raise
        finally:
            try:
                await self.pool.release(conn)
            except Exception as exc:  # the reset after use failed: asyncpg terminated it
                log.warning("discarded a database connection on release: %r", exc)

    async def ping(self) -> bool:
        """True when the database answers a trivial query within a second."""
        try:
            async with self.pool.acquire(timeout=1) as conn:
                await conn.fetchval("select 1", timeout=1)
            return True
        except Exception:  # any failure means "not reachable" for a health check
            return False
