"""Row level security, exercised as the `authenticated` role with real claims."""

import json
import os
import uuid

import asyncpg
import pytest

from core.errors import AppError
from credentials.vault import Vault, parse_key_ring


def _sealed(user_id: str, server: str, name: str):
    """A real ciphertext under the test key ring, so the start-up key check accepts the row."""
    vault = Vault(parse_key_ring(os.environ["CREDENTIALS_KEY"]))
    return vault.encrypt((user_id, server, name), "seed-value")


async def _seed(database, user):
    """One row of each user table, owned by ``user``; returns their ids."""
    uid = uuid.UUID(user.id)
    sealed = _sealed(user.id, "github", "GITHUB_TOKEN")
    async with database.service() as conn:
        session_id = await conn.fetchval(
            "insert into sessions (user_id, title) values ($1, 'seed') returning id", uid
        )
        message_id = await conn.fetchval(
            "insert into chat_messages (session_id, user_id, role, content) "
            "values ($1, $2, 'user', $3) returning id",
            session_id,
            uid,
            [{"type": "text", "text": "hi"}],
        )
        credential_id = await conn.fetchval(
            "insert into user_credentials (user_id, server_slug, env_name, ciphertext, nonce, key_id) "
            "values ($1, 'github', 'GITHUB_TOKEN', $2, $3, $4) returning id",
            uid,
            sealed.ciphertext,
            sealed.nonce,
            sealed.key_id,
        )
        agent_id = await conn.fetchval(
            "insert into agents (user_id, session_id, name) values ($1, $2, 'seed-agent') returning id",
            uid,
            session_id,
        )
    return {
        "sessions": session_id,
        "chat_messages": message_id,
        "user_credentials": credential_id,
        "agents": agent_id,
    }


TABLES = ["sessions", "chat_messages", "user_credentials", "agents"]


@pytest.fixture
async def two_users(make_user, database):
    alice, bob = await make_user(), await make_user()
    return alice, bob, await _seed(database, alice), await _seed(database, bob)


async def test_every_user_table_has_rls_and_policies(database):
    async with database.service() as conn:
        rows = await conn.fetch(
            """select c.relname, c.relrowsecurity,
                      (select count(*) from pg_policies p where p.schemaname = 'public'
                        and p.tablename = c.relname) as policies
               from pg_class c join pg_namespace n on n.oid = c.relnamespace
               where n.nspname = 'public' and c.relkind = 'r'
                 and exists (select 1 from information_schema.columns col
                             where col.table_schema = 'public' and col.table_name = c.relname
                               and col.column_name = 'user_id')"""
        )
    assert {r["relname"] for r in rows} >= set(TABLES)
    for row in rows:
        assert row["relrowsecurity"], f"{row['relname']} has RLS disabled"
        assert row["policies"] > 0, f"{row['relname']} has no policies"


@pytest.mark.parametrize("table", TABLES)
async def test_user_reads_only_own_rows(database, two_users, table):
    alice, bob, alice_ids, bob_ids = two_users
    async with database.as_user(alice.claims) as conn:
        owners = {str(r["user_id"]) for r in await conn.fetch(f"select user_id from {table}")}
        seen_bob = await conn.fetchval(
            f"select count(*) from {table} where id = $1", bob_ids[table]
        )
    assert owners == {alice.id}
    assert seen_bob == 0


@pytest.mark.parametrize("table", TABLES)
async def test_update_and_delete_of_other_users_rows_touch_nothing(database, two_users, table):
    alice, bob, _, bob_ids = two_users
    async with database.as_user(alice.claims) as conn:
        deleted = await conn.execute(f"delete from {table} where id = $1", bob_ids[table])
        assert deleted == "DELETE 0"
        if table != "chat_messages":  # messages are append-only: no update grant at all
            updated = await conn.execute(
                f"update {table} set created_at = now() where id = $1", bob_ids[table]
            )
            assert updated == "UPDATE 0"
    async with database.service() as conn:
        assert (
            await conn.fetchval(f"select count(*) from {table} where id = $1", bob_ids[table]) == 1
        )


async def test_insert_for_another_user_is_refused(database, two_users):
    alice, bob, _, bob_ids = two_users
    bob_uuid = uuid.UUID(bob.id)
    statements = [
        ("insert into sessions (user_id, title) values ($1, 'x')", [bob_uuid]),
        (
            "insert into user_credentials (user_id, server_slug, env_name, ciphertext, nonce, key_id) "
            "values ($1, 'slack', 'SLACK_BOT_TOKEN', '\\x00'::bytea, '\\x00'::bytea, 'k1')",
            [bob_uuid],
        ),
        ("insert into agents (user_id, name) values ($1, 'intruder')", [bob_uuid]),
        # posting into Bob's session under Alice's own user id
        (
            "insert into chat_messages (session_id, user_id, role, content) values ($1, $2, 'user', '[]')",
            [bob_ids["sessions"], uuid.UUID(alice.id)],
        ),
    ]
    for sql, args in statements:
        with pytest.raises(asyncpg.exceptions.InsufficientPrivilegeError):
            async with database.as_user(alice.claims) as conn:
                await conn.execute(sql, *args)


async def test_reowning_a_row_to_another_user_is_refused(database, two_users):
    alice, bob, alice_ids, _ = two_users
    with pytest.raises(asyncpg.exceptions.InsufficientPrivilegeError):
        async with database.as_user(alice.claims) as conn:
            await conn.execute(
                "update sessions set user_id = $1 where id = $2",
                uuid.UUID(bob.id),
                alice_ids["sessions"],
            )


async def test_no_claims_sees_nothing(database, two_users):
    async with database.pool.acquire() as conn, conn.transaction():
        await conn.execute("set local role authenticated")
        for table in TABLES:
            assert await conn.fetchval(f"select count(*) from {table}") == 0


async def test_as_user_requires_a_subject(database):
    with pytest.raises(ValueError):
        async with database.as_user({"role": "authenticated"}):
            pass


async def test_service_role_sees_all(database, two_users):
    alice, bob, _, _ = two_users
    async with database.pool.acquire() as conn, conn.transaction():
        await conn.execute("set local role service_role")
        owners = {str(r["user_id"]) for r in await conn.fetch("select user_id from sessions")}
    assert {alice.id, bob.id} <= owners


async def test_claims_and_role_do_not_leak_to_next_transaction(database, two_users):
    alice, *_ = two_users
    async with database.pool.acquire() as conn:
        async with conn.transaction():
            await conn.execute(
                "select set_config('role', 'authenticated', true),"
                " set_config('request.jwt.claims', $1, true)",
                json.dumps(alice.claims),
            )
            assert await conn.fetchval("select auth.uid()::text") == alice.id
        assert await conn.fetchval("select current_user") != "authenticated"
        assert await conn.fetchval("select auth.uid()") is None


async def test_a_failed_user_transaction_rolls_back(database, make_user):
    alice = await make_user()
    with pytest.raises(asyncpg.exceptions.CheckViolationError):
        async with database.as_user(alice.claims) as conn:
            await conn.execute("insert into sessions (title) values ('kept?')")
            await conn.execute("insert into sessions (title) values ($1)", "x" * 500)
    async with database.as_user(alice.claims) as conn:
        assert await conn.fetchval("select count(*) from sessions") == 0


async def test_deleting_a_user_cascades(database, make_user):
    user = await make_user()
    await _seed(database, user)
    async with database.service() as conn:
        await conn.execute("delete from auth.users where id = $1", uuid.UUID(user.id))
        for table in TABLES:
            count = await conn.fetchval(
                f"select count(*) from {table} where user_id = $1", uuid.UUID(user.id)
            )
            assert count == 0, table


def test_app_error_carries_status():
    error = AppError(404, "not_found", "x")
    assert (error.status, error.code) == (404, "not_found")
