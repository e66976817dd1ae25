"""Row level security of the OAuth tables, as the `authenticated` role with real claims."""

import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from credentials.vault import get_vault
from oauth import repository


async def _connected(database, user, issuer: str) -> None:
    """A connection, a pending request and the client they use, owned by ``user``."""
    async with database.service() as conn:
        sealed = get_vault().encrypt(("oauth-client", issuer, "client-1"), "s3cret")
        await repository.save_client(
            conn, issuer, "https://svc/cb", "client-1", "dynamic_registration", "client_secret_post",
            sealed,
        )  # fmt: skip
        await repository.upsert_connection(
            conn, user.id, "linear",
            {"issuer": issuer, "client_id": "client-1", "resource": "https://mcp.example/mcp",
             "token_endpoint": f"{issuer}/token"},
        )  # fmt: skip
        await repository.insert_ticket(
            conn,
            user.id,
            None,
            "linear",
            uuid.uuid4().hex,
            datetime.now(UTC) + timedelta(minutes=5),
        )


async def test_users_see_only_their_own_oauth_rows(database, make_user):
    alice, bob = await make_user(), await make_user()
    await _connected(database, alice, "https://as-a.example")
    await _connected(database, bob, "https://as-b.example")
    async with database.as_user(alice.claims) as conn:
        connections = await conn.fetch("select user_id::text from oauth_connections")
        requests = await conn.fetch("select user_id::text from oauth_requests")
        clients = await conn.fetch("select issuer from oauth_clients")
        # bob's rows are invisible, so these touch nothing
        await conn.execute("delete from oauth_connections where user_id = $1::uuid", bob.id)
        await conn.execute("delete from oauth_requests where user_id = $1::uuid", bob.id)
    assert {r["user_id"] for r in connections} == {alice.id}
    assert {r["user_id"] for r in requests} == {alice.id}
    assert {r["issuer"] for r in clients} == {"https://as-a.example"}  # only her connection's
    async with database.as_user(bob.claims) as conn:
        assert len(await conn.fetch("select 1 from oauth_connections")) == 1
        assert len(await conn.fetch("select 1 from oauth_requests")) == 1


async def test_oauth_rows_cannot_be_written_for_another_user(database, make_user):
    alice, bob = await make_user(), await make_user()
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        async with database.as_user(alice.claims) as conn:
            await repository.upsert_connection(
                conn, bob.id, "linear",
                {"issuer": "https://as", "client_id": "c", "resource": "https://r",
                 "token_endpoint": "https://as/token"},
            )  # fmt: skip
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        async with database.as_user(alice.claims) as conn:
            await repository.insert_ticket(
                conn, bob.id, None, "linear", "t", datetime.now(UTC) + timedelta(minutes=5)
            )
    with pytest.raises(asyncpg.InsufficientPrivilegeError):  # clients are the service's to write
        async with database.as_user(alice.claims) as conn:
            await conn.execute(
                "insert into oauth_clients (issuer, redirect_uri, client_id, method, ciphertext,"
                " nonce, key_id) values ('x', 'y', 'z', 'dynamic_registration', '', '', 'k')"
            )
