"""Local sign-in for the embedded default: a one-time sign-in link in, a user row in
``auth.users`` and rotating refresh tokens out (stored as SHA-256 digests, single-use, reuse
revokes the session)."""

import hashlib
import secrets
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from auth.local import issue_local_token
from auth.models import TokenResponse, UserOut
from auth.sign_in_links import redeem_link
from core.config import Settings
from core.db.database import Database
from core.errors import AppError

REFRESH_TOKEN_TTL = timedelta(days=30)

_UPSERT_USER = """
insert into auth.users (id, aud, role, email, email_confirmed_at,
                        raw_app_meta_data, raw_user_meta_data)
values (gen_random_uuid(), 'authenticated', 'authenticated', $1, now(),
        '{"provider": "local", "providers": ["local"]}'::jsonb, $2::jsonb)
on conflict (email) where is_sso_user = false do update set updated_at = now()
returning id, email, raw_user_meta_data
"""

_SELECT_REFRESH_ROW = """
select t.id, t.user_id, t.session_id, t.expires_at, t.used_at, t.revoked_at,
       u.email, u.raw_user_meta_data
from public.local_refresh_tokens t join auth.users u on u.id = t.user_id
where t.token_hash = $1
for update of t
"""


def _digest(token: str) -> bytes:
    # Tokens are 256-bit random values: a plain hash is enough, no password hashing needed.
    return hashlib.sha256(token.encode()).digest()


async def _new_refresh_token(conn: Any, user_id: uuid.UUID, session_id: uuid.UUID) -> str:
    token = secrets.token_urlsafe(32)
    await conn.execute(
        "insert into public.local_refresh_tokens (token_hash, user_id, session_id, expires_at)"
        " values ($1, $2, $3, $4)",
        _digest(token),
        user_id,
        session_id,
        datetime.now(UTC) + REFRESH_TOKEN_TTL,
    )
    return token


def _response(
    settings: Settings,
    user_id: uuid.UUID,
    email: str | None,
    meta: dict[str, Any] | None,
    session_id: uuid.UUID,
    refresh_token: str,
) -> TokenResponse:
    meta = meta or {}
    name = meta.get("full_name") or meta.get("name") or None
    access, expires_at = issue_local_token(
        settings, str(user_id), email, name, session_id=str(session_id)
    )
    return TokenResponse(
        access_token=access,
        refresh_token=refresh_token,
        expires_at=expires_at,
        user=UserOut(id=str(user_id), email=email, name=name, avatar_url=meta.get("avatar_url")),
    )


async def sign_in_local(db: Database, settings: Settings, token: str) -> TokenResponse:
    """Spend a sign-in link and open a session for the account it names (created on first use).

    A name is only ever set when the account is created: signing in never rewrites a profile.
    """
    email, name = await redeem_link(db, token)
    metadata = {"full_name": name, "name": name} if name else {}
    session_id = uuid.uuid4()
    async with db.service() as conn:
        row = await conn.fetchrow(_UPSERT_USER, email, metadata)
        refresh_token = await _new_refresh_token(conn, row["id"], session_id)
    return _response(
        settings, row["id"], row["email"], row["raw_user_meta_data"], session_id, refresh_token
    )


async def refresh_local(db: Database, settings: Settings, refresh_token: str) -> TokenResponse:
    """Swap a refresh token for a new access + refresh token (the old one is spent)."""
    failure: AppError | None = None
    async with db.service() as conn:
        row = await conn.fetchrow(_SELECT_REFRESH_ROW, _digest(refresh_token))
        if row is None:
            failure = AppError(401, "refresh_token_not_found", "Refresh token not recognised")
        elif row["revoked_at"] is not None:
            failure = AppError(401, "session_not_found", "Session was signed out; sign in again")
        elif row["used_at"] is not None:
            # A spent token came back: it may have been stolen, so end the whole session.
            await conn.execute(
                "update public.local_refresh_tokens set revoked_at = now()"
                " where session_id = $1 and revoked_at is null",
                row["session_id"],
            )
            failure = AppError(
                401, "refresh_token_already_used", "Refresh token was already used; sign in again"
            )
        elif row["expires_at"] <= datetime.now(UTC):
            failure = AppError(401, "session_expired", "Session has expired; sign in again")
        else:
            await conn.execute(
                "update public.local_refresh_tokens set used_at = now() where id = $1", row["id"]
            )
            new_token = await _new_refresh_token(conn, row["user_id"], row["session_id"])
    if failure is not None:
        raise failure
    assert row is not None
    return _response(
        settings,
        row["user_id"],
        row["email"],
        row["raw_user_meta_data"],
        row["session_id"],
        new_token,
    )


async def sign_out_local(db: Database, user_id: str) -> None:
    """Revoke every refresh token of the user (like Supabase's scope=global)."""
    async with db.service() as conn:
        await conn.execute(
            "update public.local_refresh_tokens set revoked_at = now()"
            " where user_id = $1 and revoked_at is null",
            uuid.UUID(user_id),
        )
