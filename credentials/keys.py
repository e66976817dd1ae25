"""Start-up check of the credentials key ring against the database, and key rotation."""

import logging

import asyncpg

from core.config import Settings
from core.db.database import Database
from credentials import repository
from credentials.vault import (
    CredentialsKeyError,
    DecryptionError,
    Vault,
    install_vault,
    load_key_ring,
)

log = logging.getLogger(__name__)
_BATCH = 200


async def check_credentials_key(db: Database, settings: Settings) -> Vault:
    """Load the key ring, prove it decrypts what the database holds, and install it.

    Raises CredentialsKeyError with what to do when a key is missing or wrong, so the service
    refuses to start instead of losing access to stored credentials.
    """
    vault = Vault(load_key_ring(settings))
    async with db.service() as conn:
        await verify_key_ring(conn, vault)
    install_vault(vault)
    log.info(
        "credentials key ring ok: active key %s, %d key(s)", vault.active_key_id, len(vault.key_ids)
    )
    return vault


async def verify_key_ring(conn: asyncpg.Connection, vault: Vault) -> None:
    """Raise CredentialsKeyError unless ``vault`` knows and decrypts every key id in use."""
    in_use = await repository.key_ids_in_use(conn)
    unknown = sorted(set(in_use) - set(vault.key_ids))
    if unknown:
        rows = sum(in_use[k] for k in unknown)
        raise CredentialsKeyError(
            f"{rows} stored credential(s) are encrypted with key id(s) {', '.join(unknown)}, "
            f"which the configured key ring ({', '.join(vault.key_ids)}) does not contain. "
            "Set CREDENTIALS_KEY to a ring that includes those keys (kid:base64,...), "
            "first the key to encrypt with; then run `dynamic-mcp credentials rotate-key`."
        )
    for key_id in in_use:
        for table, context, sealed in await repository.sample_rows(conn, key_id):
            try:
                vault.decrypt(context, sealed)
            except DecryptionError:
                raise CredentialsKeyError(
                    f"The key with id {key_id!r} does not decrypt the rows of {table} "
                    "encrypted under that id: the key ring holds a different key with the "
                    "same id. Restore the original key."
                ) from None


async def reencrypt_batch(conn: asyncpg.Connection, vault: Vault, table: str, limit: int) -> int:
    """Re-encrypt up to ``limit`` rows of ``table`` that are not under the active key."""
    rows = await repository.rows_not_under(conn, table, vault.active_key_id, limit)
    for row_ref, context, sealed in rows:
        await repository.update_sealed(conn, table, row_ref, vault.reencrypt(context, sealed))
    return len(rows)


async def rotate_key(db: Database, vault: Vault) -> dict[str, int]:
    """Re-encrypt every row not under the active key, in small transactions (no downtime).

    Readers keep working throughout: each row is either under an old key or the new one, and
    the ring decrypts both.
    """
    counts: dict[str, int] = {}
    for table in repository.ENCRYPTED_TABLES:
        counts[table] = 0
        while True:
            async with db.service() as conn:
                done = await reencrypt_batch(conn, vault, table, _BATCH)
            counts[table] += done
            if done < _BATCH:
                break
    return counts
