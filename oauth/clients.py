"""Who this service is to an authorization server, chosen in the order the MCP spec gives.

1. A client the operator registered ahead of time (``OAUTH_CLIENTS``, keyed by issuer) — the
   only way for providers without dynamic registration, such as GitHub.
2. A Client ID Metadata Document: the client id is the URL of a JSON document this service
   serves (``GET /api/oauth/client-metadata.json`` under ``PUBLIC_BASE_URL``), when the
   authorization server says it supports them.
3. Dynamic client registration (RFC 7591), done once per authorization server and redirect URI
   and cached in ``oauth_clients`` (its secret encrypted in the vault).
"""

import base64
import ipaddress
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

import asyncpg
import httpx

from core.config import Settings
from credentials.vault import Sealed, get_vault
from oauth import repository
from oauth.discovery import ServerAuth
from oauth.errors import OAuthRegistrationError

CLIENT_NAME = "Dynamic MCP Agent API"
CALLBACK_PATH = "/api/oauth/callback"
METADATA_PATH = "/api/oauth/client-metadata.json"


@dataclass(frozen=True)
class Client:
    client_id: str
    secret: str | None
    auth_method: (
        str  # token endpoint authentication: none | client_secret_post | client_secret_basic
    )
    method: str  # preregistered | metadata_document | dynamic_registration


def base_url(settings: Settings) -> str:
    """The service's public origin (and path prefix): ``PUBLIC_BASE_URL`` or the local listener."""
    return (settings.public_base_url or f"http://{settings.host}:{settings.port}").rstrip("/")


def redirect_uri(settings: Settings) -> str:
    return base_url(settings) + CALLBACK_PATH


def metadata_url(settings: Settings) -> str:
    return base_url(settings) + METADATA_PATH


def metadata_document(settings: Settings) -> dict[str, Any]:
    """The Client ID Metadata Document: the client id is the URL it is served at."""
    return {
        "client_id": metadata_url(settings),
        "client_name": CLIENT_NAME,
        "client_uri": base_url(settings),
        "redirect_uris": [redirect_uri(settings)],
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "token_endpoint_auth_method": "none",
        "application_type": "web",
    }


def _can_host_metadata(settings: Settings) -> bool:
    # The draft requires an https client id; plain http only for a loopback development host.
    parts = urlsplit(metadata_url(settings))
    if parts.scheme == "https":
        return True
    try:
        return parts.scheme == "http" and ipaddress.ip_address(parts.hostname or "").is_loopback
    except ValueError:
        return parts.hostname == "localhost"


def _context(issuer: str, client_id: str) -> tuple[str, ...]:
    return ("oauth-client", issuer, client_id)


def _secret_method(methods: tuple[str, ...]) -> str:
    for method in ("client_secret_post", "client_secret_basic"):
        if method in methods:
            return method
    return "none"


async def _register(
    http: httpx.AsyncClient, settings: Settings, auth: ServerAuth
) -> dict[str, Any]:
    assert auth.registration_endpoint is not None
    body = {
        **metadata_document(settings),
        "token_endpoint_auth_method": _secret_method(auth.auth_methods),
    }
    body.pop("client_id")
    if auth.scope:
        body["scope"] = auth.scope
    try:
        response = await http.post(auth.registration_endpoint, json=body)
    except httpx.HTTPError as exc:
        raise OAuthRegistrationError(
            f"Could not register with {auth.issuer}: {type(exc).__name__}."
        ) from None
    try:
        data = response.json()
    except ValueError:
        data = {}
    if (
        response.status_code not in (200, 201)
        or not isinstance(data, dict)
        or not data.get("client_id")
    ):
        reason = (
            data.get("error_description") or data.get("error") if isinstance(data, dict) else None
        )
        raise OAuthRegistrationError(
            f"{auth.issuer} refused to register this service (HTTP {response.status_code}"
            f"{': ' + str(reason)[:200] if reason else ''})."
        )
    return data


async def client_for(
    conn: asyncpg.Connection, http: httpx.AsyncClient, settings: Settings, auth: ServerAuth
) -> Client:
    """This service's client at ``auth.issuer``, registering (once) when that is the way."""
    configured = settings.oauth_clients.get(auth.issuer) or settings.oauth_clients.get(
        auth.issuer + "/"
    )
    if configured is not None:
        secret = configured.client_secret.get_secret_value() if configured.client_secret else None
        method = _secret_method(auth.auth_methods) if secret else "none"
        return Client(configured.client_id, secret, method, "preregistered")
    if auth.cimd_supported and _can_host_metadata(settings):
        return Client(metadata_url(settings), None, "none", "metadata_document")
    redirect = redirect_uri(settings)
    row = await repository.get_client(conn, auth.issuer, redirect)
    vault = get_vault()
    if row is not None:
        sealed = Sealed(bytes(row["ciphertext"]), bytes(row["nonce"]), row["key_id"])
        secret = vault.decrypt(_context(auth.issuer, row["client_id"]), sealed) or None
        return Client(row["client_id"], secret, row["token_endpoint_auth_method"], row["method"])
    if not auth.registration_endpoint:
        raise OAuthRegistrationError(
            f"{auth.issuer} accepts neither Client ID Metadata Documents (from this service's "
            "PUBLIC_BASE_URL) nor dynamic registration. The operator must register an OAuth app "
            "there and add it to OAUTH_CLIENTS."
        )
    data = await _register(http, settings, auth)
    secret = str(data.get("client_secret") or "")
    auth_method = str(
        data.get("token_endpoint_auth_method") or ("client_secret_basic" if secret else "none")
    )
    sealed = vault.encrypt(_context(auth.issuer, str(data["client_id"])), secret)
    await repository.save_client(
        conn,
        auth.issuer,
        redirect,
        str(data["client_id"]),
        "dynamic_registration",
        auth_method,
        sealed,
    )
    return Client(str(data["client_id"]), secret or None, auth_method, "dynamic_registration")


async def known_client(
    conn: asyncpg.Connection, settings: Settings, issuer: str, client_id: str
) -> Client:
    """The client a connection was made with, for refreshing and revoking its tokens later."""
    configured = settings.oauth_clients.get(issuer) or settings.oauth_clients.get(issuer + "/")
    if configured is not None and configured.client_id == client_id:
        secret = configured.client_secret.get_secret_value() if configured.client_secret else None
        return Client(
            client_id, secret, "client_secret_post" if secret else "none", "preregistered"
        )
    row = await repository.client_secret_row(conn, issuer, client_id)
    if row is None:
        return Client(client_id, None, "none", "metadata_document")
    sealed = Sealed(bytes(row["ciphertext"]), bytes(row["nonce"]), row["key_id"])
    secret = get_vault().decrypt(_context(issuer, client_id), sealed) or None
    return Client(client_id, secret, row["token_endpoint_auth_method"], "dynamic_registration")


def authenticate(client: Client, form: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """The token request's form and headers with this client's authentication (RFC 6749 §2.3)."""
    form = {**form, "client_id": client.client_id}
    headers = {"Accept": "application/json"}
    if client.secret and client.auth_method == "client_secret_basic":
        pair = f"{quote(client.client_id, safe='')}:{quote(client.secret, safe='')}"
        headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
    elif client.secret:
        form["client_secret"] = client.secret
    return form, headers
