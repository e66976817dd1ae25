"""A loopback OAuth authorization server and a protected streamable-HTTP MCP server.

Speaks what a hosted MCP server such as Linear's does (MCP authorization, revision 2026-07-28):
``/mcp`` answers 401 with ``WWW-Authenticate: Bearer resource_metadata=...`` without a valid
token; protected-resource metadata (RFC 9728) names the authorization server at ``/as``, whose
metadata (RFC 8414) advertises Client ID Metadata Documents and dynamic registration (RFC 7591).
``/as/authorize`` approves at once (a signed-in user who clicks "Allow") and redirects with
``code``, ``state`` and ``iss`` (RFC 9207); ``/as/token`` checks the client, the redirect URI, the
PKCE S256 verifier and the ``resource`` (RFC 8707); refresh tokens rotate and a reused one revokes
its family; ``/as/revoke`` is RFC 7009. Knobs on the object let tests expire or revoke tokens,
turn registration mechanisms off, or make the metadata lie about its issuer.
"""

import base64
import contextlib
import hashlib
import secrets
import socket
import threading
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import httpx
import uvicorn
from mcp.server.mcpserver import MCPServer
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.types import ASGIApp, Receive, Scope, Send

TOOLS = ("create_issue", "list_issues")


@dataclass
class Grant:
    client_id: str
    redirect_uri: str
    challenge: str
    resource: str
    scope: str
    used: bool = False


@dataclass
class Token:
    value: str
    client_id: str
    resource: str
    scope: str
    family: str
    expires_at: float = 0.0
    revoked: bool = False


@dataclass
class FakeOAuthProvider:
    """The double. ``base_url`` is set by ``start()``."""

    cimd_supported: bool = True
    dcr_supported: bool = True
    access_lifetime: int = 3600
    base_url: str = ""
    # Set to make the AS metadata claim another issuer than the one it is served for.
    metadata_issuer: str | None = None
    # Set to make the protected-resource metadata lie: another resource, another AS.
    prm_resource: str | None = None
    prm_authorization_server: str | None = None
    # Set to make the authorization response carry another ``iss`` than the AS's.
    response_iss: str | None = None
    # How the AS fetches a Client ID Metadata Document (tests route it to the app under test).
    fetch_document: Callable[[str], Any] | None = None
    clients: dict[str, dict[str, Any]] = field(default_factory=dict)
    grants: dict[str, Grant] = field(default_factory=dict)
    access: dict[str, Token] = field(default_factory=dict)
    refresh: dict[str, Token] = field(default_factory=dict)
    revoked_families: set[str] = field(default_factory=set)
    events: list[str] = field(default_factory=list)
    seen_tokens: list[str] = field(default_factory=list)  # access tokens /mcp accepted

    # --- knobs ---------------------------------------------------------------------------
    @property
    def issuer(self) -> str:
        return f"{self.base_url}/as"

    @property
    def resource(self) -> str:
        return f"{self.base_url}/mcp"

    def expire_access_tokens(self) -> None:
        for token in self.access.values():
            token.expires_at = 0.0

    def revoke_refresh_tokens(self) -> None:
        for token in self.refresh.values():
            token.revoked = True
            self.revoked_families.add(token.family)

    def live_access_tokens(self) -> list[str]:
        return [t.value for t in self.access.values() if self._valid(t)]

    def _valid(self, token: Token) -> bool:
        return (
            not token.revoked
            and token.family not in self.revoked_families
            and token.expires_at > time.time()
        )

    # --- authorization server ------------------------------------------------------------
    async def _prm(self, request: Request) -> Response:
        return JSONResponse(
            {
                "resource": self.prm_resource or self.resource,
                "authorization_servers": [self.prm_authorization_server or self.issuer],
                "scopes_supported": ["issues:read", "issues:write"],
                "bearer_methods_supported": ["header"],
            }
        )

    async def _as_metadata(self, request: Request) -> Response:
        data: dict[str, Any] = {
            "issuer": self.metadata_issuer or self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "revocation_endpoint": f"{self.issuer}/revoke",
            "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code", "refresh_token"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["none", "client_secret_post"],
            "scopes_supported": ["issues:read", "issues:write", "offline_access"],
            "authorization_response_iss_parameter_supported": True,
            "client_id_metadata_document_supported": self.cimd_supported,
        }
        if self.dcr_supported:
            data["registration_endpoint"] = f"{self.issuer}/register"
        return JSONResponse(data)

    async def _register(self, request: Request) -> Response:
        if not self.dcr_supported:
            return JSONResponse({"error": "invalid_request"}, status_code=404)
        body = await request.json()
        method = body.get("token_endpoint_auth_method") or "client_secret_post"
        client = {
            "client_id": "dcr-" + secrets.token_hex(8),
            "redirect_uris": body.get("redirect_uris") or [],
            "token_endpoint_auth_method": method,
            "grant_types": body.get("grant_types") or ["authorization_code"],
            "application_type": body.get("application_type"),
        }
        if method != "none":
            client["client_secret"] = secrets.token_urlsafe(24)
        self.clients[client["client_id"]] = client
        self.events.append("register")
        return JSONResponse(client, status_code=201)

    async def _client(self, client_id: str) -> dict[str, Any] | None:
        if client_id in self.clients:
            return self.clients[client_id]
        if self.cimd_supported and client_id.startswith(("https://", "http://")):
            fetch = self.fetch_document or _http_get_json
            document = await fetch(client_id)
            if document.get("client_id") != client_id:
                return None
            self.events.append("cimd")
            return {**document, "token_endpoint_auth_method": "none"}
        return None

    async def _authorize(self, request: Request) -> Response:
        q = request.query_params
        client = await self._client(q.get("client_id", ""))
        redirect_uri = q.get("redirect_uri", "")
        if client is None or redirect_uri not in client.get("redirect_uris", []):
            return JSONResponse({"error": "invalid_client"}, status_code=400)

        def back(**params: str) -> Response:
            params = {
                **params,
                "state": q.get("state", ""),
                "iss": self.response_iss or self.issuer,
            }
            return RedirectResponse(f"{redirect_uri}?{urlencode(params)}", status_code=302)

        if q.get("response_type") != "code" or q.get("code_challenge_method") != "S256":
            return back(error="invalid_request", error_description="PKCE S256 is required")
        if q.get("resource") != self.resource:
            return back(error="invalid_target", error_description="unknown resource")
        if q.get("deny"):
            return back(error="access_denied", error_description="The user said no")
        code = secrets.token_urlsafe(16)
        self.grants[code] = Grant(
            str(client["client_id"]),
            redirect_uri,
            q.get("code_challenge", ""),
            q.get("resource", ""),
            q.get("scope", ""),
        )
        self.events.append("authorize")
        return back(code=code)

    def _authenticate(self, form: Any, client_id: str) -> bool:
        client = self.clients.get(client_id)
        if client is None:  # a CIMD client: public, no secret
            return self.cimd_supported and client_id.startswith(("https://", "http://"))
        secret = client.get("client_secret")
        return secret is None or secrets.compare_digest(str(form.get("client_secret", "")), secret)

    def _issue(self, client_id: str, resource: str, scope: str, family: str) -> dict[str, Any]:
        access = Token(
            "at-" + secrets.token_urlsafe(16), client_id, resource, scope, family,
            time.time() + self.access_lifetime,
        )  # fmt: skip
        refresh = Token("rt-" + secrets.token_urlsafe(16), client_id, resource, scope, family)
        refresh.expires_at = time.time() + 86400
        self.access[access.value] = access
        self.refresh[refresh.value] = refresh
        return {
            "access_token": access.value,
            "token_type": "Bearer",
            "expires_in": self.access_lifetime,
            "refresh_token": refresh.value,
            "scope": scope,
        }

    async def _token(self, request: Request) -> Response:
        form = await request.form()
        client_id = str(form.get("client_id", ""))
        if not self._authenticate(form, client_id):
            return _oauth_error("invalid_client", "client authentication failed", 401)
        if form.get("grant_type") == "authorization_code":
            grant = self.grants.get(str(form.get("code", "")))
            if grant is None or grant.used or grant.client_id != client_id:
                return _oauth_error("invalid_grant", "unknown or used code")
            grant.used = True
            if form.get("redirect_uri") != grant.redirect_uri:
                return _oauth_error("invalid_grant", "redirect_uri mismatch")
            verifier = str(form.get("code_verifier", ""))
            digest = hashlib.sha256(verifier.encode()).digest()
            if base64.urlsafe_b64encode(digest).rstrip(b"=").decode() != grant.challenge:
                self.events.append("pkce_mismatch")
                return _oauth_error("invalid_grant", "PKCE verification failed")
            if form.get("resource") != grant.resource:
                return _oauth_error("invalid_target", "resource mismatch")
            self.events.append("token")
            return JSONResponse(
                self._issue(client_id, grant.resource, grant.scope, secrets.token_hex(8))
            )
        if form.get("grant_type") == "refresh_token":
            old = self.refresh.get(str(form.get("refresh_token", "")))
            if old is None or old.client_id != client_id:
                return _oauth_error("invalid_grant", "unknown refresh token")
            if not self._valid(old):
                self.revoked_families.add(old.family)  # reuse of a rotated token: revoke all
                return _oauth_error("invalid_grant", "refresh token revoked")
            old.revoked = True  # rotation
            self.events.append("refresh")
            return JSONResponse(self._issue(client_id, old.resource, old.scope, old.family))
        return _oauth_error("unsupported_grant_type", "unsupported grant type")

    async def _revoke(self, request: Request) -> Response:
        form = await request.form()
        value = str(form.get("token", ""))
        token = self.refresh.get(value) or self.access.get(value)
        if token is not None:
            self.revoked_families.add(token.family)
            self.events.append("revoke")
        return Response(status_code=200)

    # --- the protected MCP server --------------------------------------------------------
    def _guard(self, app: ASGIApp) -> ASGIApp:
        async def guarded(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] == "http" and scope["path"].startswith("/mcp"):
                headers = dict(scope.get("headers") or [])
                auth = headers.get(b"authorization", b"").decode()
                token = self.access.get(auth.removeprefix("Bearer ").strip())
                if token is None or not self._valid(token) or token.resource != self.resource:
                    metadata = f"{self.base_url}/.well-known/oauth-protected-resource/mcp"
                    response = JSONResponse(
                        {"error": "invalid_token"},
                        status_code=401,
                        headers={
                            "WWW-Authenticate": f'Bearer resource_metadata="{metadata}", '
                            'scope="issues:read issues:write"'
                        },
                    )
                    await response(scope, receive, send)
                    return
                if not self.seen_tokens or self.seen_tokens[-1] != token.value:
                    self.seen_tokens.append(token.value)
            await app(scope, receive, send)

        return guarded

    def app(self) -> ASGIApp:
        server = MCPServer("fake-issues")

        @server.tool()
        def create_issue(title: str) -> str:
            """Create an issue with this title."""
            return f"created {title}"

        @server.tool()
        def list_issues() -> str:
            """List the open issues."""
            return "ISS-1 the first issue"

        routes = [
            Route("/.well-known/oauth-protected-resource/mcp", self._prm),
            Route("/.well-known/oauth-authorization-server/as", self._as_metadata),
            Route("/as/register", self._register, methods=["POST"]),
            Route("/as/authorize", self._authorize),
            Route("/as/token", self._token, methods=["POST"]),
            Route("/as/revoke", self._revoke, methods=["POST"]),
        ]
        mcp_app = server.streamable_http_app(streamable_http_path="/mcp", stateless_http=True)

        @contextlib.asynccontextmanager
        async def lifespan(app: Starlette) -> AsyncIterator[None]:
            async with server.session_manager.run():
                yield

        outer = Starlette(routes=[*routes, Mount("/", mcp_app)], lifespan=lifespan)
        return self._guard(outer)

    def start(self) -> "FakeOAuthProvider":
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self.base_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        self._server = uvicorn.Server(uvicorn.Config(self.app(), log_level="warning"))
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("fake OAuth provider did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)


def _oauth_error(error: str, description: str, status: int = 400) -> Response:
    return JSONResponse({"error": error, "error_description": description}, status_code=status)


async def _http_get_json(url: str) -> Any:
    async with httpx.AsyncClient(timeout=5) as http:
        return (await http.get(url)).json()
