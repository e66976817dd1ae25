"""Find a remote MCP server's authorization server: RFC 9728 first, then RFC 8414 / OpenID.

An unauthenticated request to the server answers 401 with ``WWW-Authenticate: Bearer
resource_metadata="..."``; without that, the well-known protected-resource URLs are tried (path
form, then root). The metadata names the authorization server, whose own metadata must state the
same ``issuer`` it was looked up by (RFC 8414 §3.3): a mismatch is refused, never "fixed".
"""

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from oauth.errors import OAuthDiscoveryError

_PARAM = r'{}=(?:"([^"]*)"|([^\s,]+))'
_MCP_VERSION = {"MCP-Protocol-Version": "2025-11-25"}


@dataclass(frozen=True)
class ServerAuth:
    """What connecting to one MCP server needs: its resource id and its authorization server."""

    resource: str
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    registration_endpoint: str | None
    revocation_endpoint: str | None
    scope: str | None
    cimd_supported: bool
    iss_parameter_supported: bool
    auth_methods: tuple[str, ...]


def canonical_resource(url: str) -> str:
    """The server URL as an RFC 8707 resource: lower-case scheme and host, no fragment."""
    parts = urlsplit(url)
    return urlunsplit(
        parts._replace(scheme=parts.scheme.lower(), netloc=parts.netloc.lower(), fragment="")
    )


def resource_covers(configured: str, requested: str) -> bool:
    """Whether metadata for ``configured`` may speak for ``requested`` (same origin, prefix)."""
    a, b = urlsplit(configured), urlsplit(requested)
    if (a.scheme.lower(), a.netloc.lower()) != (b.scheme.lower(), b.netloc.lower()):
        return False
    return (b.path.rstrip("/") + "/").startswith(a.path.rstrip("/") + "/")


def require_https(url: str, server_url: str) -> str:
    """Metadata and endpoints must be https (OAuth 2.1), except for a server the operator
    reaches over plain http (a loopback or internal test server): then its own origin's."""
    parts, server = urlsplit(url), urlsplit(server_url)
    if parts.scheme == "https" or (
        parts.scheme == "http" and server.scheme == "http" and parts.hostname == server.hostname
    ):
        return url
    raise OAuthDiscoveryError(f"Refusing a non-https OAuth address: {url[:200]!r}.")


def header_param(header: str, name: str) -> str | None:
    match = re.search(_PARAM.format(re.escape(name)), header or "")
    return (match.group(1) if match.group(1) is not None else match.group(2)) if match else None


def _well_known(base: str, kind: str) -> list[str]:
    parts = urlsplit(base)
    origin = f"{parts.scheme}://{parts.netloc}"
    path = parts.path.rstrip("/")
    urls = [f"{origin}/.well-known/{kind}{path}"] if path else []
    return [*urls, f"{origin}/.well-known/{kind}"]


async def _json(http: httpx.AsyncClient, url: str) -> dict[str, Any] | None:
    try:
        response = await http.get(url, headers={**_MCP_VERSION, "Accept": "application/json"})
    except httpx.HTTPError as exc:
        raise OAuthDiscoveryError(f"Could not reach {url}: {type(exc).__name__}.") from None
    if response.status_code != 200:
        return None
    try:
        data = response.json()
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


async def protected_resource(
    http: httpx.AsyncClient, server_url: str
) -> tuple[dict[str, Any], str | None]:
    """The server's protected-resource metadata and the scope its 401 challenge asked for."""
    try:
        probe = await http.post(
            server_url,
            json={"jsonrpc": "2.0", "id": 0, "method": "ping"},
            headers={**_MCP_VERSION, "Accept": "application/json, text/event-stream"},
        )
    except httpx.HTTPError as exc:
        raise OAuthDiscoveryError(f"Could not reach {server_url}: {type(exc).__name__}.") from None
    challenge = probe.headers.get("WWW-Authenticate", "") if probe.status_code in (401, 403) else ""
    hinted = header_param(challenge, "resource_metadata")
    for url in [
        *([hinted] if hinted else []),
        *_well_known(server_url, "oauth-protected-resource"),
    ]:
        data = await _json(http, require_https(url, server_url))
        if data and data.get("authorization_servers"):
            resource = str(data.get("resource") or "")
            if resource and not resource_covers(resource, canonical_resource(server_url)):
                raise OAuthDiscoveryError(
                    f"The server's metadata is for another resource ({resource}); refusing it."
                )
            return data, header_param(challenge, "scope")
    raise OAuthDiscoveryError(
        f"{server_url} publishes no OAuth protected-resource metadata, so it cannot be connected "
        "with OAuth; it may need an API key instead."
    )


async def authorization_server(http: httpx.AsyncClient, issuer: str) -> dict[str, Any]:
    """The issuer's RFC 8414 metadata (or its OpenID configuration), ``issuer`` checked."""
    parts = urlsplit(issuer)
    urls = _well_known(issuer, "oauth-authorization-server")
    urls[1:1] = _well_known(issuer, "openid-configuration")[:1]
    if parts.path.strip("/"):
        urls.append(issuer.rstrip("/") + "/.well-known/openid-configuration")
    for url in dict.fromkeys(urls):
        data = await _json(http, url)
        if data is None:
            continue
        if str(data.get("issuer") or "").rstrip("/") != issuer.rstrip("/"):
            raise OAuthDiscoveryError(
                f"The authorization server's metadata names issuer {data.get('issuer')!r}, "
                f"not {issuer!r}; refusing it (a mismatch can mean a mix-up attack)."
            )
        if not data.get("authorization_endpoint") or not data.get("token_endpoint"):
            raise OAuthDiscoveryError(f"{issuer} does not publish its authorization endpoints.")
        methods = data.get("code_challenge_methods_supported")
        if methods is not None and "S256" not in methods:
            raise OAuthDiscoveryError(f"{issuer} does not support PKCE S256, which MCP requires.")
        return data
    raise OAuthDiscoveryError(f"{issuer} publishes no authorization server metadata.")


async def discover(http: httpx.AsyncClient, server_url: str) -> ServerAuth:
    """Everything needed to authorize against the MCP server at ``server_url``."""
    prm, challenged_scope = await protected_resource(http, server_url)
    issuer = require_https(str(prm["authorization_servers"][0]), server_url)
    asm = await authorization_server(http, issuer)
    for key in ("authorization_endpoint", "token_endpoint", "registration_endpoint"):
        if asm.get(key):
            require_https(str(asm[key]), server_url)
    scopes = prm.get("scopes_supported") or asm.get("scopes_supported")
    scope = challenged_scope or (" ".join(str(s) for s in scopes) if scopes else None)
    if scope and "offline_access" in (asm.get("scopes_supported") or []):
        scope = scope if "offline_access" in scope.split() else f"{scope} offline_access"
    return ServerAuth(
        resource=str(prm.get("resource") or canonical_resource(server_url)),
        issuer=str(asm["issuer"]),
        authorization_endpoint=str(asm["authorization_endpoint"]),
        token_endpoint=str(asm["token_endpoint"]),
        registration_endpoint=asm.get("registration_endpoint"),
        revocation_endpoint=asm.get("revocation_endpoint"),
        scope=scope,
        cimd_supported=asm.get("client_id_metadata_document_supported") is True,
        iss_parameter_supported=asm.get("authorization_response_iss_parameter_supported") is True,
        auth_methods=tuple(
            asm.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
        ),
    )
