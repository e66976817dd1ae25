"""The embedded Postgres: closed to everyone but the service, and brought back when it dies."""

import asyncio
import logging
import os
import signal
import stat

import asyncpg
import pytest

from core.db.database import Database
from core.db.embedded_auth import SCRAM_HBA, dsn, require_password
from core.errors import AppError
from tests.conftest import make_settings


def _socket_dir(database: Database) -> str:
    assert database.embedded is not None
    return str(database.embedded.pgdata)


async def test_connecting_without_the_services_password_fails(database: Database) -> None:
    """Any other process of the OS user (an agent, say) reaches the socket, not the database."""
    embedded = database.embedded
    assert embedded is not None
    socket_dir = embedded.pgdata
    with pytest.raises(asyncpg.InvalidAuthorizationSpecificationError):
        await asyncpg.connect(dsn(socket_dir, None), timeout=5)
    with pytest.raises(asyncpg.InvalidPasswordError):
        await asyncpg.connect(dsn(socket_dir, "guessed-password"), timeout=5)
    for user in ("authenticated", "service_role", "anon"):  # nor as any other role
        with pytest.raises(asyncpg.InvalidAuthorizationSpecificationError):
            await asyncpg.connect(host=str(socket_dir), user=user, database="postgres", timeout=5)
    conn = await asyncpg.connect(database.dsn, timeout=5)  # the service's own credentials work
    assert await conn.fetchval("select current_user") == "postgres"
    await conn.close()
    # the password lives in one private file, not in the environment agents inherit
    assert stat.S_IMODE(embedded.password_file.stat().st_mode) == 0o600
    password = embedded.password_file.read_text().strip()
    assert len(password) >= 40 and password in database.dsn
    assert not any(password in value for value in os.environ.values())
    assert (embedded.pgdata / "pg_hba.conf").read_text() == SCRAM_HBA


async def test_a_loosened_pg_hba_is_tightened_again(database: Database) -> None:
    embedded = database.embedded
    assert embedded is not None and embedded.pid is not None
    hba = embedded.pgdata / "pg_hba.conf"
    hba.write_text("local all all trust\n")  # an older install, or a hand edit
    os.kill(embedded.pid, signal.SIGHUP)
    password = embedded.password_file.read_text().strip()
    await require_password(embedded.pgdata, embedded.pgdata, embedded.pid, password)
    assert hba.read_text() == SCRAM_HBA
    with pytest.raises(asyncpg.InvalidAuthorizationSpecificationError):
        await asyncpg.connect(dsn(embedded.pgdata, None), timeout=5)


async def _answers(db: Database) -> bool:
    try:
        async with db.service() as conn:
            return bool(await conn.fetchval("select 1", timeout=2))
    except AppError as exc:
        assert exc.status == 503, exc  # while it is down: "unavailable", never a 500
        return False


async def test_a_killed_postmaster_is_restarted_and_the_pool_recovers(tmp_path, caplog) -> None:
    """Its own server (a tmp data dir): killing it must not disturb the shared one."""
    settings = make_settings(tmp_path / "data", embedded_postgres_check_seconds=0.2)
    db = await Database.open(settings)
    try:
        assert db.embedded is not None and db.watchdog is not None
        assert await _answers(db)
        old = db.embedded.pid
        assert old is not None
        caplog.set_level(logging.WARNING, logger="core.db.watchdog")
        os.kill(old, signal.SIGKILL)
        for _ in range(600):  # bounded: a recovery that never comes fails the test
            if db.watchdog.restarts and await _answers(db):
                break
            await asyncio.sleep(0.1)
        else:
            raise AssertionError(f"the database did not come back: {caplog.text[-2000:]}")
        assert db.embedded.pid not in (None, old)
        async with db.service() as conn:  # the data survived (migrations are still recorded)
            assert await conn.fetchval("select count(*) from schema_migrations") > 0
        assert "is not running; restarting it" in caplog.text
        assert "restarted (pid" in caplog.text
        assert db.embedded.password_file.read_text().strip() not in caplog.text
    finally:
        await db.close()
