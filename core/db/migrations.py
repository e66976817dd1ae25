"""Numbered SQL migrations from ``sql/``, applied in order, each once, in a transaction.

Safe to run twice and from two processes at once: an advisory lock serialises runners and
the ``schema_migrations`` table records what has been applied.
"""

import logging
from pathlib import Path

import asyncpg

log = logging.getLogger(__name__)

_LOCK_KEY = 7_361_222_001  # arbitrary, constant: one migration runner at a time per database

_CREATE_TABLE = """
create table if not exists public.schema_migrations (
  version text primary key,
  applied_at timestamptz not null default now()
)
"""

# Supabase ships these; the bootstrap supplies them only where they are missing.
_SUPABASE_OBJECTS = """
select to_regrole('authenticated') is not null
   and to_regrole('anon') is not null
   and to_regrole('service_role') is not null
   and to_regclass('auth.users') is not null
   and to_regprocedure('auth.uid()') is not null
   and to_regprocedure('auth.jwt()') is not null
   and to_regprocedure('auth.role()') is not null
"""


def migration_files(sql_dir: Path) -> list[Path]:
    """The numbered migration files in apply order (``001_name.sql`` ...)."""
    return sorted(p for p in sql_dir.glob("[0-9][0-9][0-9]_*.sql") if p.is_file())


async def apply_migrations(conn: asyncpg.Connection, sql_dir: Path) -> list[str]:
    """Apply every pending migration; return the versions applied by this call."""
    applied_now: list[str] = []
    await conn.execute("select pg_advisory_lock($1)", _LOCK_KEY)
    try:
        if not await conn.fetchval(_SUPABASE_OBJECTS):
            log.info("Supabase objects missing: applying the compatibility bootstrap")
            async with conn.transaction():
                await conn.execute((sql_dir / "bootstrap" / "supabase_compat.sql").read_text())
        await conn.execute(_CREATE_TABLE)
        done = {r["version"] for r in await conn.fetch("select version from schema_migrations")}
        for path in migration_files(sql_dir):
            version = path.stem
            if version in done:
                continue
            async with conn.transaction():
                await conn.execute(path.read_text())
                await conn.execute("insert into schema_migrations (version) values ($1)", version)
            log.info("applied migration %s", version)
            applied_now.append(version)
    finally:
        await conn.execute("select pg_advisory_unlock($1)", _LOCK_KEY)
    return applied_now


async def pending_migrations(conn: asyncpg.Connection, sql_dir: Path) -> list[str]:
    """Versions present in ``sql/`` but not yet recorded as applied."""
    exists = await conn.fetchval("select to_regclass('public.schema_migrations') is not null")
    done = set()
    if exists:
        done = {r["version"] for r in await conn.fetch("select version from schema_migrations")}
    return [p.stem for p in migration_files(sql_dir) if p.stem not in done]
