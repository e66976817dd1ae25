"""Migrations: apply to an empty database, re-apply as a no-op, run concurrently."""

import asyncio

import asyncpg
import pytest_asyncio

from core.db.migrations import apply_migrations, migration_files, pending_migrations


@pytest_asyncio.fixture(loop_scope="session")
async def empty_database_dsn(database):
    """A fresh, empty database on the same embedded server, dropped afterwards."""
    name = "migrations_test"
    async with database.pool.acquire() as conn:
        await conn.execute(f"drop database if exists {name} with (force)")
        await conn.execute(f"create database {name}")
    yield database.dsn.replace("/postgres?", f"/{name}?")
    async with database.pool.acquire() as conn:
        await conn.execute(f"drop database if exists {name} with (force)")


async def test_apply_to_empty_database_then_noop(empty_database_dsn, settings):
    conn = await asyncpg.connect(empty_database_dsn)
    try:
        applied = await apply_migrations(conn, settings.sql_dir)
        assert applied == [p.stem for p in migration_files(settings.sql_dir)]
        assert await pending_migrations(conn, settings.sql_dir) == []
        tables = {
            r["tablename"]
            for r in await conn.fetch("select tablename from pg_tables where schemaname = 'public'")
        }
        assert {"sessions", "chat_messages", "user_credentials", "agents"} <= tables
        assert await apply_migrations(conn, settings.sql_dir) == []
    finally:
        await conn.close()


async def test_concurrent_runners_apply_each_migration_once(empty_database_dsn, settings):
    conns = [await asyncpg.connect(empty_database_dsn) for _ in range(3)]
    try:
        results = await asyncio.gather(*(apply_migrations(c, settings.sql_dir) for c in conns))
        all_applied = [version for result in results for version in result]
        assert sorted(all_applied) == sorted(p.stem for p in migration_files(settings.sql_dir))
        count = await conns[0].fetchval("select count(*) from schema_migrations")
        assert count == len(all_applied)
    finally:
        for conn in conns:
            await conn.close()


async def test_bootstrap_leaves_existing_supabase_objects_alone(empty_database_dsn, settings):
    """Where Supabase's objects exist, the bootstrap must not run (it would alter them)."""
    conn = await asyncpg.connect(empty_database_dsn)
    try:
        await apply_migrations(conn, settings.sql_dir)
        # Simulate Supabase's own auth.uid() with a different body: a re-run must keep it.
        await conn.execute(
            "create or replace function auth.uid() returns uuid language sql stable as "
            "$$ select '00000000-0000-0000-0000-000000000001'::uuid $$"
        )
        await apply_migrations(conn, settings.sql_dir)
        assert (
            str(await conn.fetchval("select auth.uid()")) == "00000000-0000-0000-0000-000000000001"
        )
    finally:
        await conn.close()
