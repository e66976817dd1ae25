"""``dynamic-mcp credentials generate-key | rotate-key | check``.

Rotation without downtime, with CREDENTIALS_KEY from the environment:
  1. ``dynamic-mcp credentials generate-key`` prints a new ``kid:base64`` entry;
  2. deploy ``CREDENTIALS_KEY=<old>,<new>`` (the first key encrypts, every key decrypts),
     so every instance can read what the new key will encrypt;
  3. deploy ``CREDENTIALS_KEY=<new>,<old>``: new writes use the new key;
  4. ``dynamic-mcp credentials rotate-key`` re-encrypts every remaining row under the new key;
  5. deploy ``CREDENTIALS_KEY=<new>``.
With the embedded key file, ``rotate-key --new-key`` does all of it in one step.
"""

import argparse
import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

from core.config import get_settings
from credentials.vault import (
    CredentialsKeyError,
    Vault,
    add_key_to_file,
    format_key_entry,
    generate_key,
    load_key_ring,
    remove_keys_from_file,
)


async def _rotate(new_key: bool, drop_old: bool) -> int:
    from core.db.database import Database
    from credentials.keys import check_credentials_key, rotate_key

    settings = get_settings()
    if new_key:
        if settings.credentials_key is not None:
            raise CredentialsKeyError(
                "--new-key only works with the embedded key file; with CREDENTIALS_KEY, "
                "put a new key first in the ring (see `dynamic-mcp credentials --help`)."
            )
        load_key_ring(settings)  # make sure the current ring exists before adding to it
    db = await Database.open(settings)
    try:
        await check_credentials_key(db, settings)
        if new_key:
            print(f"new active key: {add_key_to_file(settings)}")
        vault = Vault(load_key_ring(settings))
        counts = await rotate_key(db, vault)
        if drop_old and settings.credentials_key is None:
            remove_keys_from_file(settings, keep=[vault.active_key_id])
    finally:
        await db.close()
    done = ", ".join(f"{table}: {n}" for table, n in counts.items())
    print(f"re-encrypted under key {vault.active_key_id} ({done})")
    return 0


async def _check() -> int:
    from core.db.database import Database
    from credentials.keys import check_credentials_key

    settings = get_settings()
    db = await Database.open(settings)
    try:
        vault = await check_credentials_key(db, settings)
    finally:
        await db.close()
    print(f"ok: active key {vault.active_key_id}; ring {', '.join(vault.key_ids)}")
    return 0


def _run(coro_factory: Callable[[], Coroutine[Any, Any, int]]) -> int:
    try:
        return asyncio.run(coro_factory())
    except CredentialsKeyError as error:
        print(f"error: {error}")
        return 2


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``credentials`` command to the ``dynamic-mcp`` parser."""
    parser = subparsers.add_parser(
        "credentials",
        help="manage the credentials encryption key",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="credentials_command", required=True)

    generate = commands.add_parser("generate-key", help="print a new key ring entry kid:base64")
    generate.set_defaults(handler=lambda _a: print(format_key_entry(generate_key())) or 0)

    rotate = commands.add_parser(
        "rotate-key", help="re-encrypt every credential under the active key"
    )
    rotate.add_argument(
        "--new-key",
        action="store_true",
        help="embedded key file only: generate a new active key first",
    )
    rotate.add_argument(
        "--drop-old",
        action="store_true",
        help="embedded key file only: forget the old keys afterwards",
    )
    rotate.set_defaults(handler=lambda a: _run(lambda: _rotate(a.new_key, a.drop_old)))

    check = commands.add_parser("check", help="verify the key ring decrypts the stored credentials")
    check.set_defaults(handler=lambda _a: _run(_check))
