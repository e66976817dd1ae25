"""The authorization-code flow with PKCE, from a "Connect" link to stored tokens.

1. ``new_ticket`` (signed-in user, chat session): a single-use link ``/api/oauth/start/<ticket>``.
2. ``begin`` (the browser opens the link): spends the ticket, discovers the authorization server,
   picks the client identity, and binds a fresh ``state`` and PKCE verifier to this browser (the
   hash of an HttpOnly cookie), the user and the session; returns the authorization URL.
3. ``complete`` (the authorization server redirects back): the state works once, only in the
   browser that began, with the issuer (RFC 9207 ``iss``) it began with; then the code is
   exchanged with the verifier and the ``resource``, and the tokens go to the vault.
"""

import base64
import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import httpx

from core.config import Settings
from core.db.database import Database
from oauth import repository
from oauth.clients import authenticate, base_url, client_for, known_client, redirect_uri
from oauth.discovery import discover
from oauth.errors import OAuthDiscoveryError, OAuthGrantError, OAuthStateError
from oauth.tokens import expiry, http_client, parse_token_response, store_tokens

START_PATH = "/api/oauth/start/"


@dataclass(frozen=True)
class Connected:
    server: str
    name: str
    session_id: str | None


def digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def pkce_pair() -> tuple[str, str]:
    """A PKCE verifier (RFC 7636 §4.1: 43-128 unreserved characters) and its S256 challenge."""
    verifier = secrets.token_urlsafe(64)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    return verifier, challenge.rstrip(b"=").decode()


async def new_ticket(
    conn: Any, settings: Settings, user_id: str, session_id: str | None, server: str
) -> str:
    """A single-use "Connect" URL for ``server`` (valid for ``OAUTH_STATE_TTL_SECONDS``)."""
    ticket = secrets.token_urlsafe(32)
    expires = datetime.now(UTC) + timedelta(seconds=settings.oauth_state_ttl_seconds)
    await repository.insert_ticket(conn, user_id, session_id, server, digest(ticket), expires)
    return base_url(settings) + START_PATH + ticket


async def begin(db: Database, settings: Settings, ticket: str, browser_secret: str) -> str:
    """Spend the ticket and return the authorization URL to send this browser to."""
    async with db.service() as conn:
        request = await repository.take_ticket(conn, digest(ticket))
        server = await repository.server_endpoint(conn, request["server_slug"]) if request else None
    if request is None:
        raise OAuthStateError(
            "This Connect link was already used or has expired. Click Connect in the chat again."
        )
    if server is None or not server["url"]:
        raise OAuthDiscoveryError("This server is not a remote server of the catalog any more.")
    async with http_client() as http:
        auth = await discover(http, server["url"])
        async with db.service() as conn:
            client = await client_for(conn, http, settings, auth)
    state = secrets.token_urlsafe(32)
    verifier, challenge = pkce_pair()
    async with db.service() as conn:
        await repository.bind_request(
            conn,
            request["id"],
            {
                "state_hash": digest(state),
                "browser_hash": digest(browser_secret),
                "code_verifier": verifier,
                "issuer": auth.issuer,
                "client_id": client.client_id,
                "redirect_uri": redirect_uri(settings),
                "resource": auth.resource,
                "scope": auth.scope,
                "token_endpoint": auth.token_endpoint,
                "revocation_endpoint": auth.revocation_endpoint,
                "iss_required": auth.iss_parameter_supported,
                "expires_at": datetime.now(UTC)
                + timedelta(seconds=settings.oauth_state_ttl_seconds),
            },
        )
    params = {
        "response_type": "code",
        "client_id": client.client_id,
        "redirect_uri": redirect_uri(settings),
        "state": state,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "resource": auth.resource,
    }
    if auth.scope:
        params["scope"] = auth.scope
        if "offline_access" in auth.scope.split():
            params["prompt"] = "consent"  # OpenID Connect requires it for offline_access
    separator = "&" if "?" in auth.authorization_endpoint else "?"
    return auth.authorization_endpoint + separator + urlencode(params)


_DECLINED = {
    "access_denied": "You declined access",
    "invalid_scope": "The server did not accept the permissions asked for",
    "invalid_target": "The server did not accept this resource",
}


async def complete(
    db: Database, settings: Settings, params: Mapping[str, str], browser_secret: str | None
) -> Connected:
    """Check the authorization response and store the tokens; every refusal says why."""
    state = params.get("state")
    if not state:
        raise OAuthStateError("The answer from the sign-in page carries no state; it was refused.")
    async with db.service() as conn:
        request = await repository.take_state(conn, digest(state))  # deleted: works once
        server = await repository.server_endpoint(conn, request["server_slug"]) if request else None
    if request is None:
        raise OAuthStateError(
            "This sign-in answer is unknown or was already used. Click Connect in the chat again."
        )
    name = server["name"] if server else request["server_slug"]
    if request["expires_at"] < datetime.now(UTC):
        raise OAuthStateError(f"Connecting {name} took too long. Click Connect again.")
    if not browser_secret or not secrets.compare_digest(
        digest(browser_secret), request["browser_hash"] or ""
    ):
        raise OAuthStateError(
            f"This {name} sign-in was started in another browser or by another account, so it "
            "was refused. Click Connect in your own chat."
        )
    iss = params.get("iss")
    if (iss is not None and iss != request["issuer"]) or (iss is None and request["iss_required"]):
        raise OAuthStateError(
            f"The answer names issuer {iss!r}, not {request['issuer']!r}, the server this sign-in "
            "was sent to; it was refused (a mix-up attack looks like this)."
        )
    if params.get("error"):
        words = _DECLINED.get(params["error"], f"{name} refused ({params['error'][:60]})")
        raise OAuthGrantError(f"{words}. Click Connect to try again.")
    if not params.get("code"):
        raise OAuthStateError("The answer from the sign-in page carries no code; it was refused.")
    user_id = str(request["user_id"])
    async with db.service() as conn:
        client = await known_client(conn, settings, request["issuer"], request["client_id"])
    form, headers = authenticate(
        client,
        {
            "grant_type": "authorization_code",
            "code": params["code"],
            "redirect_uri": request["redirect_uri"],
            "code_verifier": request["code_verifier"],
            "resource": request["resource"],
        },
    )
    try:
        async with http_client() as http:
            response = await http.post(request["token_endpoint"], data=form, headers=headers)
    except httpx.HTTPError as exc:
        raise OAuthGrantError(
            f"Could not reach {name}'s sign-in server ({type(exc).__name__}). Click Connect again."
        ) from None
    data = parse_token_response(response)
    # The rows are the user's: write them under RLS as that user, not as the service.
    async with db.as_user({"sub": user_id}) as conn:
        await store_tokens(conn, user_id, request["server_slug"], data)
        await repository.upsert_connection(
            conn,
            user_id,
            request["server_slug"],
            {
                "issuer": request["issuer"],
                "client_id": request["client_id"],
                "resource": request["resource"],
                "scope": data.get("scope") or request["scope"],
                "token_endpoint": request["token_endpoint"],
                "revocation_endpoint": request["revocation_endpoint"],
                "expires_at": expiry(data),
            },
        )
    session = str(request["session_id"]) if request["session_id"] else None
    return Connected(request["server_slug"], name, session)
