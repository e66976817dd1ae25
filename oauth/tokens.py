"""OAuth tokens in the vault: store, refresh (with rotation), revoke.

The access and refresh tokens are credentials of the server like any other — rows of
``user_credentials`` named ``OAUTH_ACCESS_TOKEN`` and ``OAUTH_REFRESH_TOKEN``, encrypted under the
same key ring and bound by the same associated data (user, server, name). Only the access token
ever reaches an agent (as its ``Authorization`` header); neither is shown to the model or logged.
"""

import logging
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx

from catalog.models import OAUTH_ACCESS_TOKEN
from core.config import Settings
from credentials import repository as credentials_repository
from credentials.log_redaction import register_secret
from credentials.vault import get_vault
from oauth import repository
from oauth.clients import authenticate, known_client
from oauth.errors import OAuthGrantError

log = logging.getLogger(__name__)

ACCESS_TOKEN = OAUTH_ACCESS_TOKEN
REFRESH_TOKEN = "OAUTH_REFRESH_TOKEN"  # noqa: S105
TOKEN_NAMES = (ACCESS_TOKEN, REFRESH_TOKEN)
_TIMEOUT = httpx.Timeout(15.0)


def http_client() -> httpx.AsyncClient:
    """A short-lived client for authorization-server calls (no redirects: RFC 9700 §4.11)."""
    return httpx.AsyncClient(timeout=_TIMEOUT, follow_redirects=False)


def _context(user_id: str, server: str, name: str) -> tuple[str, ...]:
    return (str(uuid.UUID(str(user_id))), server, name)


def parse_token_response(response: httpx.Response) -> dict[str, Any]:
    """The token response's fields, or OAuthGrantError with the server's reason in words."""
    try:
        data = response.json()
    except ValueError:
        data = {}
    if not isinstance(data, dict):
        data = {}
    if response.status_code != 200 or not data.get("access_token"):
        error = str(data.get("error") or f"HTTP {response.status_code}")
        reason = str(data.get("error_description") or "")[:200]
        raise OAuthGrantError(
            f"The authorization server refused ({error}{': ' + reason if reason else ''}).",
            reauthorize=error in ("invalid_grant", "invalid_client", "unauthorized_client"),
        )
    if str(data.get("token_type") or "bearer").lower() != "bearer":
        raise OAuthGrantError(f"Unsupported token type {data.get('token_type')!r}.")
    return data


def expiry(data: dict[str, Any]) -> datetime | None:
    try:
        seconds = int(data["expires_in"])
    except (KeyError, TypeError, ValueError):
        return None
    return datetime.now(UTC) + timedelta(seconds=max(seconds, 0))


async def store_tokens(
    conn: asyncpg.Connection, user_id: str, server: str, data: dict[str, Any]
) -> None:
    """Encrypt and keep the access token (and the refresh token, when one was issued)."""
    vault = get_vault()
    for name, key in ((ACCESS_TOKEN, "access_token"), (REFRESH_TOKEN, "refresh_token")):
        value = data.get(key)
        if not value:
            continue
        register_secret(str(value))
        sealed = vault.encrypt(_context(user_id, server, name), str(value))
        await credentials_repository.upsert_credential(conn, user_id, server, name, sealed)


async def _token(conn: asyncpg.Connection, user_id: str, server: str, name: str) -> str | None:
    for cred in await credentials_repository.fetch_credentials(conn, user_id, [server]):
        if cred.name == name:
            value = get_vault().decrypt(_context(user_id, server, name), cred.sealed)
            register_secret(value)
            return value
    return None


async def forget_tokens(conn: asyncpg.Connection, user_id: str, server: str) -> None:
    for name in TOKEN_NAMES:
        await credentials_repository.delete_credential(conn, user_id, server, name)


async def refresh(
    conn: asyncpg.Connection,
    settings: Settings,
    user_id: str,
    server: str,
    connection: asyncpg.Record,
) -> None:
    """Exchange the refresh token for new tokens (the rotated refresh token replaces the old).

    A refusal the user can only fix by connecting again marks the connection so, drops its
    tokens and raises ``OAuthGrantError(reauthorize=True)``; a network failure changes nothing.
    """
    refresh_token = await _token(conn, user_id, server, REFRESH_TOKEN)
    if refresh_token is None:
        await _needs_reauthorization(conn, user_id, server, "no refresh token was issued")
        raise OAuthGrantError("The connection has expired; connect again.", reauthorize=True)
    client = await known_client(conn, settings, connection["issuer"], connection["client_id"])
    form, headers = authenticate(
        client,
        {
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
            "resource": connection["resource"],
        },
    )
    try:
        async with http_client() as http:
            response = await http.post(connection["token_endpoint"], data=form, headers=headers)
        data = parse_token_response(response)
    except httpx.HTTPError as exc:
        raise OAuthGrantError(
            f"Could not reach the authorization server ({type(exc).__name__})."
        ) from None
    except OAuthGrantError as error:
        if error.reauthorize:
            await _needs_reauthorization(conn, user_id, server, error.message)
        raise
    await store_tokens(conn, user_id, server, data)
    await repository.set_expiry(conn, user_id, server, expiry(data))
    log.info("refreshed the OAuth token of %s for user %s", server, user_id)


async def _needs_reauthorization(
    conn: asyncpg.Connection, user_id: str, server: str, why: str
) -> None:
    await forget_tokens(conn, user_id, server)
    await repository.mark_needs_reauthorization(conn, user_id, server, why[:300])
    log.warning(
        "OAuth connection of %s for user %s needs re-authorization: %s", server, user_id, why
    )


async def ensure_fresh(
    conn: asyncpg.Connection, settings: Settings, user_id: str, servers: list[str]
) -> list[str]:
    """Refresh every connection of ``servers`` expiring within the margin; the servers the user
    must connect again (empty when every OAuth token is good for at least the margin)."""
    margin = timedelta(seconds=settings.oauth_refresh_margin_seconds)
    lost: list[str] = []
    for connection in await repository.get_connections(conn, user_id, servers, lock=True):
        server = connection["server_slug"]
        if connection["status"] != "connected":
            lost.append(server)
            continue
        expires = connection["expires_at"]
        if expires is None or expires - margin > datetime.now(UTC):
            continue
        try:
            await refresh(conn, settings, user_id, server, connection)
        except OAuthGrantError as error:
            if error.reauthorize:
                lost.append(server)
            elif expires <= datetime.now(UTC):
                raise
            # else: the authorization server is unreachable but the token still works: use it
            log.warning("could not refresh %s for user %s: %s", server, user_id, error.message)
    return lost


async def disconnect(
    conn: asyncpg.Connection, settings: Settings, user_id: str, server: str
) -> bool:
    """Revoke the tokens where the server supports it (RFC 7009), then forget them."""
    connection = await repository.delete_connection(conn, user_id, server)
    tokens = [await _token(conn, user_id, server, name) for name in (REFRESH_TOKEN, ACCESS_TOKEN)]
    await forget_tokens(conn, user_id, server)
    if connection is None:
        return False
    endpoint = connection["revocation_endpoint"]
    if endpoint:
        client = await known_client(conn, settings, connection["issuer"], connection["client_id"])
        async with http_client() as http:
            for token, hint in zip(tokens, ("refresh_token", "access_token"), strict=True):
                if not token:
                    continue
                form, headers = authenticate(client, {"token": token, "token_type_hint": hint})
                try:
                    await http.post(endpoint, data=form, headers=headers)
                except httpx.HTTPError as exc:  # the local copy is gone either way
                    log.warning("could not revoke a token of %s: %s", server, type(exc).__name__)
    return True
