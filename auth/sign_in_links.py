"""One-time sign-in links: the secret the embedded default's operator holds.

Like Jupyter's start-up token, but single-use and short-lived: the service prints a link when it
starts and ``dynamic-mcp sign-in-link`` makes a new one. A link names the account it signs in
to; only its SHA-256 is stored, so the database never holds a usable token.
"""

import hashlib
import secrets
import sys
from datetime import UTC, datetime, timedelta
from typing import TextIO

from core.config import Settings
from core.db.database import Database
from core.errors import AppError

DEFAULT_EMAIL = "local@localhost"
URL_FRAGMENT = "sign-in"

_REDEEM = """
update public.local_sign_in_links set used_at = now()
where token_hash = $1 and used_at is null and expires_at > now()
returning email, name
"""


def _digest(token: str) -> bytes:
    # 256-bit random tokens: a plain hash is enough, no password hashing needed.
    return hashlib.sha256(token.encode()).digest()


def link_url(settings: Settings, token: str) -> str:
    """The page address that signs in with ``token`` (in the fragment: never sent to a server)."""
    base = settings.public_url or f"http://{_display_host(settings.host)}:{settings.port}"
    return f"{base.rstrip('/')}/app/#{URL_FRAGMENT}={token}"


def _display_host(host: str) -> str:
    return "127.0.0.1" if host in ("0.0.0.0", "::", "") else host  # noqa: S104 - display only


async def create_link(
    db: Database, settings: Settings, email: str | None = None, name: str | None = None
) -> str:
    """Store a new single-use sign-in token for ``email`` (the operator's account by default)."""
    token = secrets.token_urlsafe(32)
    expires_at = datetime.now(UTC) + timedelta(seconds=settings.local_sign_in_link_ttl_seconds)
    async with db.service() as conn:
        # Spent and expired links are worthless; drop them so the table stays small.
        await conn.execute(
            "delete from public.local_sign_in_links where used_at is not null or expires_at < now()"
        )
        await conn.execute(
            "insert into public.local_sign_in_links (token_hash, email, name, expires_at)"
            " values ($1, $2, $3, $4)",
            _digest(token),
            (email or DEFAULT_EMAIL).strip().lower(),
            name,
            expires_at,
        )
    return token


async def redeem_link(db: Database, token: str) -> tuple[str, str | None]:
    """Spend ``token``; return the ``(email, name)`` it signs in as, or raise a 401."""
    async with db.service() as conn:
        row = await conn.fetchrow(_REDEEM, _digest(token))
    if row is None:
        # One answer for unknown, spent and expired: a guesser learns nothing.
        raise AppError(
            401,
            "invalid_sign_in_token",
            "This sign-in link is unknown, already used or expired. Get a new one from the "
            "operator's console: `dynamic-mcp sign-in-link`.",
        )
    return str(row["email"]), row["name"]


def announce(settings: Settings, token: str, out: TextIO | None = None) -> None:
    """Print the link on the operator's console (stderr), not into the logs."""
    minutes = max(1, settings.local_sign_in_link_ttl_seconds // 60)
    print(
        f"\n  Sign in (the link works once, for {minutes} min): {link_url(settings, token)}\n"
        "  Another link at any time: dynamic-mcp sign-in-link\n",
        file=out or sys.stderr,
        flush=True,
    )


async def offer_link_at_start(db: Database, settings: Settings) -> None:
    """In local mode, print a fresh sign-in link for the operator when the service starts."""
    if not settings.supabase_enabled and settings.local_sign_in_link_at_start:
        announce(settings, await create_link(db, settings))
