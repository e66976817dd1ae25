"""Data safety: removing a user removes everything of theirs; deleting a chat keeps the user's
stored credentials; a backup is a plain ``pg_dump`` and holds no plaintext secret.

The table checks read the live catalog (every ``user_id`` column in every schema), so a table
added by a later migration is covered without editing this file.
"""

from __future__ import annotations

import asyncio
import shutil
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from tests.catalog_helpers import install_servers
from tests.conftest import sign_in_local

SERVER = "reltest-vault"
SECRET = "ghp_" + "RelTestSecretValue9" * 2  # unique, so finding it anywhere means a leak
TEMPLATE = [
    {
        "name": "RELTEST_TOKEN",
        "description": "A token for the reliability tests.",
        "secret": True,
        "required": True,
        "kind": "env",
        "pattern": "^ghp_[A-Za-z0-9]+$",
        "example": "ghp_abc",
    }
]


async def install_server(conn: asyncpg.Connection, slug: str = SERVER, **fields: Any) -> None:
    """A catalog server with one secret credential (``fields`` override parts of the entry)."""
    raw: dict[str, Any] = {
        "slug": slug,
        "name": "Reliability vault",
        "launch": {"command": "true"},
        "credentials": TEMPLATE,
        **fields,
    }
    await install_servers(conn, raw)


async def retire_servers(database, *slugs: str) -> None:
    """Take test servers out of search so other tests' rankings never see them."""
    async with database.service() as conn:
        await conn.execute(
            "update mcp_servers set retired_at = now() where slug = any($1)", list(slugs)
        )


@pytest.fixture(scope="module")
async def vault_server(database):
    async with database.service() as conn:
        await install_server(conn)
    yield
    await retire_servers(database, SERVER)


async def user_columns(conn: asyncpg.Connection) -> list[tuple[str, str]]:
    """(schema, table) of every base table with a user_id column, outside system schemas."""
    rows = await conn.fetch(
        """select c.table_schema, c.table_name from information_schema.columns c
           join information_schema.tables t
             on t.table_schema = c.table_schema and t.table_name = c.table_name
           where c.column_name = 'user_id' and t.table_type = 'BASE TABLE'
             and c.table_schema not in ('pg_catalog', 'information_schema')"""
    )
    return [(r["table_schema"], r["table_name"]) for r in rows]


async def sign_in(client, database, settings, email: str) -> tuple[str, dict[str, str]]:
    body = await sign_in_local(client, database, settings, email, "Rel Test")
    return body["user"]["id"], {"Authorization": f"Bearer {body['access_token']}"}


async def populate(client, database, headers: dict[str, str], user_id: str) -> str:
    """A chat with tool calls, a stored credential, a pasted secret and an agent row."""
    chat = await client.post(
        "/api/chat", headers=headers, json={"message": "Watch GitHub issues and post them to Slack"}
    )
    assert chat.status_code == 200, chat.text
    session_id = chat.json()["session_id"]
    stored = await client.post(
        f"/api/sessions/{session_id}/credentials",
        headers=headers,
        json={"server": SERVER, "values": {"RELTEST_TOKEN": SECRET}},
    )
    assert stored.status_code == 200, stored.text
    assert stored.json()["stored"] == ["RELTEST_TOKEN"]
    pasted = await client.post(
        "/api/chat",
        headers=headers,
        json={"session_id": session_id, "message": f"here is my token {SECRET[:-2]}zz"},
    )
    assert pasted.status_code == 200, pasted.text
    async with database.service() as conn:
        await conn.execute(
            "insert into agents (user_id, session_id, name) values ($1, $2, $3)",
            uuid.UUID(user_id),
            uuid.UUID(session_id),
            "reltest-agent",
        )
    return session_id


async def test_every_user_table_cascades_from_auth_users(database):
    """Each user_id column references auth.users with ON DELETE CASCADE (no orphans possible)."""
    async with database.service() as conn:
        tables = await user_columns(conn)
        rows = await conn.fetch(
            """select n.nspname as schema, cl.relname as table, con.confdeltype::text as confdeltype
               from pg_constraint con
               join pg_class cl on cl.oid = con.conrelid
               join pg_namespace n on n.oid = cl.relnamespace
               join pg_attribute a on a.attrelid = con.conrelid and a.attnum = any(con.conkey)
               where con.contype = 'f' and con.confrelid = 'auth.users'::regclass
                 and a.attname = 'user_id'"""
        )
    cascades = {(r["schema"], r["table"]): r["confdeltype"] for r in rows}
    assert ("public", "sessions") in tables and ("public", "user_credentials") in tables
    for table in tables:
        assert cascades.get(table) == "c", f"{table[0]}.{table[1]}.user_id does not cascade"


async def test_removing_a_user_removes_all_their_rows(client, database, settings, vault_server):
    user_id, headers = await sign_in(
        client, database, settings, f"gone-{uuid.uuid4().hex[:8]}@example.test"
    )
    keep_id, keep_headers = await sign_in(
        client, database, settings, f"stays-{uuid.uuid4().hex[:8]}@example.test"
    )
    await populate(client, database, headers, user_id)
    await populate(client, database, keep_headers, keep_id)
    async with database.service() as conn:
        tables = await user_columns(conn)
        counts_before = {
            t: await conn.fetchval(
                f'select count(*) from "{t[0]}"."{t[1]}" where user_id = $1', uuid.UUID(user_id)
            )
            for t in tables
        }
        assert all(
            counts_before[("public", name)] > 0
            for name in ("sessions", "chat_messages", "user_credentials", "agents")
        )
        await conn.execute("delete from auth.users where id = $1", uuid.UUID(user_id))
        for table in tables:
            left = await conn.fetchval(
                f'select count(*) from "{table[0]}"."{table[1]}" where user_id = $1',
                uuid.UUID(user_id),
            )
            assert left == 0, f"{table} kept {left} rows of a deleted user"
        kept = await conn.fetchval(
            "select count(*) from sessions where user_id = $1", uuid.UUID(keep_id)
        )
    assert kept > 0  # the other user's data is untouched
    assert (await client.get("/api/credentials", headers=keep_headers)).json()["items"]
    # the deleted user's still-valid token now gets a clean answer, not a 500
    after = await client.post("/api/chat", headers=headers, json={"message": "hello?"})
    assert after.status_code == 401, after.text
    assert after.json()["error"]["code"] == "unknown_user"


async def test_deleting_a_session_keeps_the_users_credentials(
    client, database, vault_server, make_user
):
    user = await make_user()
    session_id = await populate(client, database, user.headers, user.id)
    other = await client.post("/api/chat", headers=user.headers, json={"message": "I need Slack"})
    other_id = other.json()["session_id"]

    deleted = await client.delete(f"/api/sessions/{session_id}", headers=user.headers)
    assert deleted.status_code == 204, deleted.text

    assert (
        await client.get(f"/api/sessions/{session_id}/messages", headers=user.headers)
    ).status_code == 404
    credentials = (await client.get("/api/credentials", headers=user.headers)).json()["items"]
    # the token pasted into the chat is saved too when the GitHub server the chat chose takes a
    # token (which one runs depends on this host's runtimes: an OAuth one takes none)
    pairs = {(c["server"], c["name"]) for c in credentials}
    assert (SERVER, "RELTEST_TOKEN") in pairs
    assert all(
        s.startswith("github") and "TOKEN" in n for s, n in pairs - {(SERVER, "RELTEST_TOKEN")}
    )
    assert SECRET not in str(credentials)
    async with database.service() as conn:
        uid, sid = uuid.UUID(user.id), uuid.UUID(session_id)
        assert (
            await conn.fetchval("select count(*) from chat_messages where session_id = $1", sid)
            == 0
        )
        assert (
            await conn.fetchval("select count(*) from pending_secrets where session_id = $1", sid)
            == 0
        )
        assert await conn.fetchval(
            "select count(*) from user_credentials where user_id = $1", uid
        ) == len(pairs)
        # the agent outlives the chat that built it, detached from it
        assert (
            await conn.fetchval(
                "select count(*) from agents where user_id = $1 and session_id is null"
                " and name = 'reltest-agent'",
                uid,
            )
            == 1
        )
        assert (
            await conn.fetchval(
                "select count(*) from chat_messages where session_id = $1", uuid.UUID(other_id)
            )
            > 0
        )
    # deleting it again, or someone else deleting it, is a clean 404
    assert (
        await client.delete(f"/api/sessions/{session_id}", headers=user.headers)
    ).status_code == 404
    intruder = await make_user()
    assert (
        await client.delete(f"/api/sessions/{other_id}", headers=intruder.headers)
    ).status_code == 404


def _pg_dump() -> Path | None:
    import pgserver

    candidate = Path(pgserver.__file__).parent / "pginstall" / "bin" / "pg_dump"
    if candidate.exists():
        return candidate
    found = shutil.which("pg_dump")
    return Path(found) if found else None


async def test_backup_is_a_plain_pg_dump_without_plaintext_secrets(
    client, database, vault_server, make_user
):
    user = await make_user()
    await populate(client, database, user.headers, user.id)
    pg_dump = _pg_dump()
    assert pg_dump is not None, "pg_dump ships with the embedded Postgres"
    process = await asyncio.create_subprocess_exec(
        str(pg_dump),
        "--dbname",
        database.dsn,
        "--format=plain",
        "--no-owner",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode == 0, err.decode()
    dump = out.decode()
    for table in ("public.sessions", "public.chat_messages", "public.user_credentials"):
        assert f"CREATE TABLE {table}" in dump
    assert "ROW LEVEL SECURITY" in dump
    assert SECRET not in dump and SECRET[:-2] not in dump, "a plaintext secret is in the backup"
