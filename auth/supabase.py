"""Supabase Auth calls: Google ID token → session, refresh, sign-out.

A fresh ``AsyncGoTrueClient`` per call, with persistence and auto-refresh off: a shared client
adopts the last signed-in user's session (supabase-notes §1.5), which a multi-user server must
never do.
"""

import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, NoReturn

import httpx
from supabase_auth import AsyncGoTrueClient
from supabase_auth.errors import AuthApiError, AuthError, AuthRetryableError
from supabase_auth.types import AuthResponse, SignInWithIdTokenCredentials

from auth.models import TokenResponse, UserOut
from auth.verify import supabase_issuer
from core.config import Settings
from core.errors import AppError

log = logging.getLogger(__name__)

_REFRESH_CODES = {
    "refresh_token_not_found": "Refresh token not recognised; sign in again",
    "refresh_token_already_used": "Refresh token was already used; sign in again",
    "session_expired": "Session has expired; sign in again",
    "session_not_found": "Session no longer exists; sign in again",
}


@asynccontextmanager
async def gotrue_client(settings: Settings) -> AsyncIterator[AsyncGoTrueClient]:
    key = settings.supabase_anon_key.get_secret_value() if settings.supabase_anon_key else ""
    if not key:
        raise AppError(503, "auth_not_configured", "SUPABASE_ANON_KEY is not set on the server")
    http = httpx.AsyncClient(timeout=10.0, follow_redirects=False)
    client = AsyncGoTrueClient(
        url=supabase_issuer(settings),
        headers={"apikey": key},
        persist_session=False,
        auto_refresh_token=False,
        http_client=http,
    )
    async with client:
        yield client


def _raise_mapped(exc: AuthError, action: str) -> NoReturn:
    """Turn a Supabase Auth error into a clear API error (never a 500)."""
    if isinstance(exc, AuthRetryableError):
        raise AppError(503, "auth_unavailable", f"Supabase Auth is unreachable ({action}); retry")
    status = getattr(exc, "status", 0) or 0
    code = exc.code or ""
    message = exc.message or str(exc)
    lowered = message.lower()
    if status == 429:
        raise AppError(429, "rate_limited", "Supabase Auth rate limit reached; retry later")
    if status >= 500 or status in (0,):
        log.warning("Supabase Auth error during %s: %s %s", action, status, code)
        raise AppError(502, "auth_upstream_error", f"Supabase Auth failed during {action}")
    if code in _REFRESH_CODES:
        raise AppError(401, code, _REFRESH_CODES[code])
    if "audience" in lowered:
        raise AppError(
            401,
            "invalid_audience",
            "The Google ID token was issued for a client ID this project does not accept "
            f"(add it to the Google provider's Client IDs): {message}",
        )
    if "nonce" in lowered:
        raise AppError(
            401,
            "nonce_mismatch",
            "The nonce does not match the Google ID token: send the raw nonce whose "
            f"SHA-256 hex digest was given to Google: {message}",
        )
    if "bad id token" in lowered:
        raise AppError(
            401,
            "invalid_id_token",
            "The Google ID token is invalid or has expired; get a new one from Google and retry",
        )
    if "expired" in lowered:
        raise AppError(401, "id_token_expired", f"The token has expired; sign in again: {message}")
    if status in (401, 403) and "api key" in lowered:
        log.error("Supabase rejected the server's API key during %s", action)
        raise AppError(502, "auth_misconfigured", "Supabase rejected the server's API key")
    if status in (400, 401, 403, 404, 422):
        raise AppError(
            401, code or "auth_rejected", f"Supabase Auth rejected the {action}: {message}"
        )
    raise AppError(400, code or "auth_error", f"Supabase Auth error during {action}: {message}")


def _token_response(res: AuthResponse) -> TokenResponse:
    session = res.session
    if session is None or res.user is None:
        raise AppError(502, "auth_upstream_error", "Supabase Auth returned no session")
    meta: dict[str, Any] = res.user.user_metadata or {}
    user = UserOut(
        id=res.user.id,
        email=res.user.email or meta.get("email") or None,
        name=meta.get("full_name") or meta.get("name") or None,
        avatar_url=meta.get("avatar_url") or meta.get("picture") or None,
    )
    expires_at = session.expires_at or int(time.time()) + session.expires_in
    return TokenResponse(
        access_token=session.access_token,
        refresh_token=session.refresh_token,
        expires_at=int(expires_at),
        user=user,
    )


async def sign_in_with_google(
    settings: Settings, id_token: str, nonce: str | None, access_token: str | None
) -> TokenResponse:
    credentials: SignInWithIdTokenCredentials = {"provider": "google", "token": id_token}
    if nonce:
        credentials["nonce"] = nonce  # the RAW nonce; Google saw its sha256 hex
    if access_token:
        credentials["access_token"] = access_token
    async with gotrue_client(settings) as client:
        try:
            res = await client.sign_in_with_id_token(credentials)
        except AuthError as exc:
            _raise_mapped(exc, "Google sign-in")
    return _token_response(res)


async def refresh(settings: Settings, refresh_token: str) -> TokenResponse:
    async with gotrue_client(settings) as client:
        try:
            res = await client.refresh_session(refresh_token)
        except AuthError as exc:
            _raise_mapped(exc, "token refresh")
    return _token_response(res)


async def sign_out(settings: Settings, access_token: str) -> None:
    """Revoke every session of the token's user (Supabase scope=global)."""
    async with gotrue_client(settings) as client:
        try:
            await client.admin.sign_out(access_token, "global")
        except AuthApiError as exc:
            if exc.status in (401, 403, 404):
                return  # already signed out
            _raise_mapped(exc, "sign-out")
        except AuthError as exc:
            _raise_mapped(exc, "sign-out")
