"""`dynamic-mcp credentials rotate-key | check` as a person runs them, on a database of its own."""

import subprocess
import sys
import uuid

import asyncpg
import pytest_asyncio

from core.db.migrations import apply_migrations
from credentials.vault import (
    Sealed,
    Vault,
    format_key_entry,
    generate_key,
    parse_key_ring,
)

OLD, NEW = format_key_entry(generate_key(), "old"), format_key_entry(generate_key(), "new")
SECRET = "xoxb-rotate-me-0123456789"


@pytest_asyncio.fixture(loop_scope="session")
async def rotation_dsn(database, settings):
    name = "credentials_cli_test"
    async with database.pool.acquire() as conn:
        await conn.execute(f"drop database if exists {name} with (force)")
        await conn.execute(f"create database {name}")
    dsn = database.dsn.replace("/postgres?", f"/{name}?")
    conn = await asyncpg.connect(dsn)
    try:
        await apply_migrations(conn, settings.sql_dir)
        user_id = uuid.uuid4()
        await conn.execute(
            "insert into auth.users (id, email) values ($1, 'rotate@example.test')", user_id
        )
        sealed = Vault(parse_key_ring(OLD)).encrypt(
            (str(user_id), "slack", "SLACK_BOT_TOKEN"), SECRET
        )
        await conn.execute(
            "insert into user_credentials (user_id, server_slug, env_name, ciphertext, nonce, key_id)"
            " values ($1, 'slack', 'SLACK_BOT_TOKEN', $2, $3, $4)",
            user_id,
            sealed.ciphertext,
            sealed.nonce,
            sealed.key_id,
        )
    finally:
        await conn.close()
    yield dsn
    async with database.pool.acquire() as conn:
        await conn.execute(f"drop database if exists {name} with (force)")


def _cli(dsn, key_ring, tmp_path, *args):
    env = {
        "DATABASE_URL": dsn,
        "CREDENTIALS_KEY": key_ring,
        "DATA_DIR": str(tmp_path),
        "PATH": "/usr/bin:/bin",
    }
    return subprocess.run(
        [sys.executable, "-m", "dynamic_mcp.cli", "credentials", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def test_rotate_key_reencrypts_everything_and_old_key_can_go(rotation_dsn, tmp_path):
    # a wrong ring is refused before anything is touched
    refused = _cli(rotation_dsn, NEW, tmp_path, "check")
    assert refused.returncode == 2 and "old" in refused.stdout

    rotated = _cli(rotation_dsn, f"{NEW},{OLD}", tmp_path, "rotate-key")
    assert rotated.returncode == 0, rotated.stdout + rotated.stderr
    assert "re-encrypted under key new" in rotated.stdout

    conn = await asyncpg.connect(rotation_dsn)
    try:
        row = await conn.fetchrow("select user_id, ciphertext, nonce, key_id from user_credentials")
    finally:
        await conn.close()
    assert row["key_id"] == "new"
    sealed = Sealed(row["ciphertext"], row["nonce"], row["key_id"])
    context = (str(row["user_id"]), "slack", "SLACK_BOT_TOKEN")
    assert Vault(parse_key_ring(NEW)).decrypt(context, sealed) == SECRET
    # the new key alone now reads everything
    checked = _cli(rotation_dsn, NEW, tmp_path, "check")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert SECRET not in rotated.stdout + rotated.stderr + checked.stdout + checked.stderr
