"""The key ring against the database: start-up check and rotation.

Checks that need the database in an unusual state run inside a transaction that is rolled
back, so the shared test database is left as it was.
"""

import uuid
from pathlib import Path

import pytest

from credentials import service
from credentials.keys import check_credentials_key, reencrypt_batch, verify_key_ring
from credentials.repository import ENCRYPTED_TABLES
from credentials.vault import (
    CredentialsKeyError,
    Sealed,
    Vault,
    format_key_entry,
    generate_key,
    get_vault,
    load_key_ring,
)
from dynamic_mcp.app import create_app
from tests.conftest import make_settings
from tests.test_credentials_api import GH_TOKEN, GITHUB, catalog  # noqa: F401

pytestmark = pytest.mark.usefixtures("catalog")


class Rollback(Exception):
    pass


async def _store_one(database, user) -> None:
    async with database.as_user(user.claims) as conn:
        plain = make_settings(Path("/nonexistent"))  # a token only: no host path to check
        await service.store_credentials(conn, plain, user.id, GITHUB, {"GITHUB_TOKEN": GH_TOKEN})
        session_id = await conn.fetchval(
            "insert into sessions (user_id) values ($1) returning id", uuid.UUID(user.id)
        )
        assert (
            await service.redact_incoming_message(conn, user.id, str(session_id), f"x {GH_TOKEN}")
            == "x [secret:1]"
        )


async def _only_rows_of(conn, vault: Vault) -> None:
    """Inside a rolled-back transaction: forget rows other tests left under other keys."""
    for table in ENCRYPTED_TABLES:
        await conn.execute(
            f"delete from {table} where key_id <> all($1::text[])",  # noqa: S608
            vault.key_ids,
        )


async def test_startup_check_accepts_the_right_ring(database, settings, make_user) -> None:
    await _store_one(database, await make_user())
    vault = await check_credentials_key(database, settings)  # loads and installs the ring
    assert vault is get_vault() and vault.key_ids == list(load_key_ring(settings))
    with pytest.raises(Rollback):
        async with database.service() as conn:
            await _only_rows_of(conn, vault)
            await verify_key_ring(conn, vault)  # what the start-up check runs: no error
            raise Rollback


async def test_wrong_or_unknown_key_is_a_clear_error(database, make_user) -> None:
    user = await make_user()
    await _store_one(database, user)
    current = get_vault()
    same_id_other_key = Vault({current.active_key_id: generate_key()})
    with pytest.raises(Rollback):
        async with database.service() as conn:
            await _only_rows_of(conn, current)
            await verify_key_ring(conn, current)
            with pytest.raises(CredentialsKeyError, match="does not contain"):
                await verify_key_ring(conn, Vault({"other": generate_key()}))
            with pytest.raises(CredentialsKeyError, match="does not decrypt"):
                await verify_key_ring(conn, same_id_other_key)
            raise Rollback


async def test_app_refuses_to_start_with_a_wrong_or_lost_key(database, make_user, tmp_path) -> None:
    await _store_one(database, await make_user())
    wrong = make_settings(
        tmp_path / "a",
        credentials_key=format_key_entry(generate_key(), "new"),
    )
    # no key in the environment and a fresh data dir: a new key file would be made
    lost_key_file = make_settings(tmp_path / "b", credentials_key=None)
    for settings in (wrong, lost_key_file):
        app = create_app(settings, database=database)
        with pytest.raises(CredentialsKeyError, match="CREDENTIALS_KEY"):
            async with app.router.lifespan_context(app):
                pass
    assert get_vault().decrypt is not None  # the running vault was not replaced


async def test_rotation_keeps_everything_readable(app, database, settings, make_user) -> None:
    user = await make_user()
    await _store_one(database, user)
    old = get_vault()
    new_key = generate_key()
    ring = Vault({"rotated": new_key, **load_key_ring(settings)})
    only_new = Vault({"rotated": new_key})
    with pytest.raises(Rollback):
        async with database.service() as conn:
            await _only_rows_of(conn, old)
            for table in ENCRYPTED_TABLES:
                while await reencrypt_batch(conn, ring, table, 2):
                    pass
            # every row now decrypts with the new key alone
            await verify_key_ring(conn, only_new)
            assert (
                await conn.fetchval(
                    "select count(*) from user_credentials where key_id <> 'rotated'"
                )
                == 0
            )
            row = await conn.fetchrow(
                "select ciphertext, nonce, key_id from user_credentials"
                " where user_id = $1 and server_slug = $2",
                uuid.UUID(user.id),
                GITHUB,
            )
            sealed = Sealed(bytes(row[0]), bytes(row[1]), row[2])
            assert only_new.decrypt((user.id, GITHUB, "GITHUB_TOKEN"), sealed) == GH_TOKEN
            raise Rollback
