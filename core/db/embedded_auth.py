"""The embedded Postgres answers only to the service: SCRAM password, never ``trust``.

pgserver initialises its data directory with ``trust`` authentication: anyone who can reach the
socket — every process of the service's OS user, agents included — would be the superuser. We
give the ``postgres`` role a random password, kept in the data directory (mode 0600) and nowhere
else, and make ``pg_hba.conf`` accept only ``scram-sha-256`` on the socket (no TCP listener).
"""

import asyncio
import logging
import os
import secrets
import signal
import stat
from pathlib import Path

import asyncpg

log = logging.getLogger(__name__)

PASSWORD_FILENAME = "postgres.password"  # noqa: S105 - a file name
SCRAM_HBA = (
    "# Written by dynamic-mcp: the service's password, over the unix socket (no TCP).\n"
    "local all all scram-sha-256\n"
)
_TRUST_HBA = "local all all trust\n"  # only for the moment the password is (re)set


def read_or_create_password(path: Path) -> str:
    """The service's database password, made on first use (0600, never overwritten)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        if stat.S_IMODE(path.stat().st_mode) & 0o077:
            log.warning("%s was readable by others; setting mode 0600", path)
            path.chmod(0o600)
        return path.read_text().strip()
    password = secrets.token_urlsafe(32)  # URL-safe: it goes into the DSN as is
    with os.fdopen(fd, "w") as handle:
        handle.write(password + "\n")
    return password


def dsn(socket_dir: Path, password: str | None) -> str:
    """The connection string for the ``postgres`` role over the server's unix socket."""
    secret = f":{password}" if password else ""
    return f"postgresql://postgres{secret}@/postgres?host={socket_dir}"


async def _connects(target: str) -> bool:
    try:
        conn = await asyncpg.connect(target, timeout=5)
    except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError, TimeoutError):
        return False  # refused (wrong or no password), or not accepting connections yet
    await conn.close()
    return True


async def _reload(pgdata: Path, pid: int, hba: str, target: str, expect: bool) -> None:
    """Write ``pg_hba.conf``, signal the postmaster, wait until ``target`` connects iff expected."""
    (pgdata / "pg_hba.conf").write_text(hba)  # in place: its owner (pgserver's user) stays
    os.kill(pid, signal.SIGHUP)
    for _ in range(100):
        if await _connects(target) == expect:
            return
        await asyncio.sleep(0.05)
    raise RuntimeError(f"embedded postgres did not reload {pgdata / 'pg_hba.conf'}")


async def require_password(pgdata: Path, socket_dir: Path, pid: int, password: str) -> None:
    """Leave the server accepting only ``password`` (SCRAM) on its socket."""
    # (Under "trust" any password connects, so the file is checked first.)
    hba = (pgdata / "pg_hba.conf").read_text()
    if hba == SCRAM_HBA and await _connects(dsn(socket_dir, password)):
        return
    # A new data directory (pgserver makes it with "trust"), a loosened pg_hba.conf or a lost
    # password file: open the socket to the service's own OS user for the moment it takes to
    # set the password, then close it to everyone without the password.
    log.warning("embedded postgres: setting the service's database password")
    await _reload(pgdata, pid, _TRUST_HBA, dsn(socket_dir, None), expect=True)
    try:
        conn = await asyncpg.connect(dsn(socket_dir, None), timeout=5)
        try:
            statement = await conn.fetchval(
                "select format('alter role postgres password %L', $1::text)", password
            )
            await conn.execute(statement)
        finally:
            await conn.close()
    finally:  # whatever happened, the socket is closed to passwordless connections again
        await _reload(pgdata, pid, SCRAM_HBA, dsn(socket_dir, None), expect=False)
    if not await _connects(dsn(socket_dir, password)):
        raise RuntimeError("embedded postgres refuses the service's new password")
