"""A loopback stand-in for the Supabase Auth (GoTrue) endpoints this service calls.

Speaks ``POST /auth/v1/token?grant_type=id_token|refresh_token``, ``POST /auth/v1/logout``,
``GET /auth/v1/user`` and ``GET /auth/v1/.well-known/jwks.json`` with GoTrue's response and
error shapes (supabase-notes §1.2-1.6): Google ID tokens are checked against a test "Google"
key, the allowed client ids and GoTrue's nonce rule; refresh tokens rotate and reuse revokes
the session. Access tokens are signed with keys generated here and published in the JWKS,
which tests can rotate, revoke or take down.
"""

import functools
import hashlib
import secrets
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jose import jwt
from jose.backends.cryptography_backend import CryptographyECKey, CryptographyRSAKey
from jose.exceptions import JWTError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

GOOGLE_ISSUER = "https://accounts.google.com"
GOOGLE_CLIENT_ID = "web-client.apps.googleusercontent.com"
ANON_KEY = "sb_publishable_test_key"
API_VERSION = {"X-Supabase-Api-Version": "2024-01-01"}


def nonce_hash(raw: str) -> str:
    """What the browser passes to Google: lower-case hex SHA-256 of the raw nonce."""
    return hashlib.sha256(raw.encode()).hexdigest()


@dataclass
class SigningKey:
    kid: str
    alg: str
    private: Any

    def signer(self) -> Any:
        if self.alg == "ES256":
            return CryptographyECKey(self.private, "ES256")
        return CryptographyRSAKey(self.private, "RS256")

    def public_jwk(self) -> dict[str, Any]:
        jwk = self.signer().public_key().to_dict()
        return {**jwk, "kid": self.kid, "alg": self.alg, "use": "sig", "key_ops": ["verify"]}


@dataclass
class Session:
    id: str
    user_id: str
    refresh_tokens: dict[str, bool] = field(default_factory=dict)  # token -> spent


@functools.cache
def _throwaway_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


@functools.cache
def _google_key() -> "SigningKey":
    # RSA key generation is slow: one "Google" key per test run is enough.
    return new_key("RS256")


def new_key(alg: str = "ES256") -> SigningKey:
    if alg == "ES256":
        private: Any = ec.generate_private_key(ec.SECP256R1())
    else:
        private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return SigningKey(kid=f"kid-{secrets.token_hex(4)}", alg=alg, private=private)


class FakeGoTrue:
    def __init__(self) -> None:
        self.base_url = ""
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.reset()

    def reset(self) -> None:
        """Forget users, sessions and keys (a running server is reused between tests)."""
        self.keys: dict[str, SigningKey] = {}
        self.published: list[str] = []
        self.active_kid = ""
        self.rotate("ES256")
        self.google_key = _google_key()
        self.client_ids = [GOOGLE_CLIENT_ID]
        self.jwks_down = False
        self.extra_jwks: list[dict[str, Any]] = []  # published as-is (broken keys, ...)
        self.jwks_requests = 0
        self.users: dict[str, dict[str, Any]] = {}  # google sub -> user
        self.sessions: dict[str, Session] = {}
        self.requests: list[tuple[str, str, dict[str, str]]] = []

    # --- keys ---------------------------------------------------------------------------
    def rotate(self, alg: str = "ES256") -> SigningKey:
        """Publish a new key and sign new access tokens with it (the old one stays trusted)."""
        key = new_key(alg)
        self.keys[key.kid] = key
        self.published.append(key.kid)
        self.active_kid = key.kid
        return key

    def revoke(self, kid: str) -> None:
        self.published.remove(kid)

    @property
    def issuer(self) -> str:
        return f"{self.base_url}/auth/v1"

    # --- helpers for tests --------------------------------------------------------------
    def google_id_token(
        self,
        sub: str = "google-sub-1",
        email: str = "alice@gmail.com",
        name: str = "Alice Example",
        *,
        aud: str = GOOGLE_CLIENT_ID,
        nonce: str | None = None,
        expires_in: int = 3600,
    ) -> str:
        now = int(time.time())
        claims = {
            "iss": GOOGLE_ISSUER,
            "aud": aud,
            "sub": sub,
            "email": email,
            "email_verified": True,
            "name": name,
            "picture": f"https://lh3.example/{sub}.png",
            "iat": now,
            "exp": now + expires_in,
        }
        if nonce is not None:
            claims["nonce"] = nonce
        key = self.google_key
        return jwt.encode(claims, key.signer(), algorithm="RS256", headers={"kid": key.kid})

    def access_claims(self, user_id: str, **overrides: Any) -> dict[str, Any]:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "sub": user_id,
            "aud": "authenticated",
            "role": "authenticated",
            "exp": now + 3600,
            "iat": now,
            "email": "someone@example.test",
            "phone": "",
            "app_metadata": {"provider": "google", "providers": ["google"]},
            "user_metadata": {},
            "aal": "aal1",
            "amr": [{"method": "oauth", "timestamp": now}],
            "session_id": str(uuid.uuid4()),
            "is_anonymous": False,
        }
        claims.update(overrides)
        return {k: v for k, v in claims.items() if v is not None}

    def sign(self, claims: dict[str, Any], kid: str | None = None) -> str:
        """Sign with key ``kid`` (the active key by default); an unknown ``kid`` is put in the
        header of a token signed by a throwaway key."""
        key = self.keys.get(kid or self.active_kid)
        if key is None:
            key = SigningKey(kid=str(kid), alg="ES256", private=_throwaway_key())
        return jwt.encode(claims, key.signer(), algorithm=key.alg, headers={"kid": key.kid})

    def mint_access_token(self, user_id: str, kid: str | None = None, **overrides: Any) -> str:
        return self.sign(self.access_claims(user_id, **overrides), kid)

    # --- GoTrue behaviour ---------------------------------------------------------------
    def _session_body(self, user: dict[str, Any], session: Session) -> dict[str, Any]:
        refresh_token = secrets.token_urlsafe(9)
        session.refresh_tokens[refresh_token] = False
        meta = user["user_metadata"]
        token = self.mint_access_token(
            user["id"],
            email=user["email"],
            user_metadata=meta,
            session_id=session.id,
        )
        return {
            "access_token": token,
            "token_type": "bearer",
            "expires_in": 3600,
            "expires_at": int(time.time()) + 3600,
            "refresh_token": refresh_token,
            "user": user,
        }

    def _id_token_grant(self, body: dict[str, Any]) -> Response:
        token = body.get("id_token")
        if not token:
            return oauth_error("invalid request", "id_token required")
        if body.get("provider") != "google":
            return oauth_error("invalid request", "provider or client_id and issuer required")
        try:
            claims = jwt.decode(
                token,
                self.google_key.signer().public_key(),
                algorithms=["RS256"],
                issuer=GOOGLE_ISSUER,
                options={"verify_aud": False},
            )
        except JWTError:
            return oauth_error("invalid request", "Bad ID token")
        if claims.get("aud") not in self.client_ids:
            return oauth_error(
                "invalid request", f"Unacceptable audience in id_token: [{claims.get('aud')}]"
            )
        raw_nonce = body.get("nonce") or ""
        if bool(claims.get("nonce")) != bool(raw_nonce):
            return oauth_error(
                "invalid request",
                "Passed nonce and nonce in id_token should either both exist or not.",
            )
        if raw_nonce and nonce_hash(raw_nonce) != claims["nonce"]:
            return oauth_error("invalid nonce", "Nonces mismatch")
        user = self.users.get(claims["sub"])
        if user is None:
            now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
            user = {
                "id": str(uuid.uuid4()),
                "aud": "authenticated",
                "role": "authenticated",
                "email": claims["email"],
                "phone": "",
                "app_metadata": {"provider": "google", "providers": ["google"]},
                "user_metadata": {
                    "avatar_url": claims.get("picture"),
                    "email": claims["email"],
                    "email_verified": True,
                    "full_name": claims.get("name"),
                    "iss": GOOGLE_ISSUER,
                    "name": claims.get("name"),
                    "picture": claims.get("picture"),
                    "provider_id": claims["sub"],
                    "sub": claims["sub"],
                },
                "identities": [],
                "created_at": now,
                "updated_at": now,
                "is_anonymous": False,
            }
            self.users[claims["sub"]] = user
        session = Session(id=str(uuid.uuid4()), user_id=user["id"])
        self.sessions[session.id] = session
        return JSONResponse(self._session_body(user, session))

    def _refresh_grant(self, body: dict[str, Any]) -> Response:
        token = body.get("refresh_token") or ""
        for session in list(self.sessions.values()):
            if token in session.refresh_tokens:
                if session.refresh_tokens[token]:
                    del self.sessions[session.id]  # reuse: revoke the whole session
                    return api_error(
                        400, "refresh_token_already_used", "Invalid Refresh Token: Already Used"
                    )
                session.refresh_tokens[token] = True
                user = next(u for u in self.users.values() if u["id"] == session.user_id)
                return JSONResponse(self._session_body(user, session))
        return api_error(
            400, "refresh_token_not_found", "Invalid Refresh Token: Refresh Token Not Found"
        )

    def _bearer_claims(self, request: Request) -> dict[str, Any] | None:
        header = request.headers.get("authorization", "")
        if not header.lower().startswith("bearer "):
            return None
        try:
            kid = jwt.get_unverified_header(header[7:]).get("kid")
            key = self.keys[kid]
            return jwt.decode(
                header[7:],
                key.signer().public_key(),
                algorithms=[key.alg],
                audience="authenticated",
                issuer=self.issuer,
            )
        except (JWTError, KeyError):
            return None

    # --- HTTP -----------------------------------------------------------------------------
    def app(self) -> Starlette:
        async def token(request: Request) -> Response:
            self._record(request)
            if request.headers.get("apikey") != ANON_KEY:
                return api_error(401, "no_authorization", "Invalid API key")
            body = await request.json()
            grant = request.query_params.get("grant_type")
            if grant == "id_token":
                return self._id_token_grant(body)
            if grant == "refresh_token":
                return self._refresh_grant(body)
            return oauth_error("unsupported_grant_type", "")

        async def logout(request: Request) -> Response:
            self._record(request)
            claims = self._bearer_claims(request)
            if claims is None:
                return api_error(401, "bad_jwt", "invalid JWT")
            scope = request.query_params.get("scope", "global")
            for session in list(self.sessions.values()):
                same_user = session.user_id == claims["sub"]
                this = session.id == claims.get("session_id")
                if (scope == "global" and same_user) or (scope == "local" and this):
                    del self.sessions[session.id]
            return Response(status_code=204)

        async def user(request: Request) -> Response:
            claims = self._bearer_claims(request)
            if claims is None or claims.get("session_id") not in self.sessions:
                return api_error(
                    403, "session_not_found", "Session from session_id claim in JWT does not exist"
                )
            return JSONResponse(next(u for u in self.users.values() if u["id"] == claims["sub"]))

        async def jwks(request: Request) -> Response:
            self.jwks_requests += 1
            if self.jwks_down:
                return Response("upstream unavailable", status_code=503)
            keys = [self.keys[kid].public_jwk() for kid in self.published] + self.extra_jwks
            return JSONResponse({"keys": keys}, headers={"Cache-Control": "public, max-age=600"})

        return Starlette(
            routes=[
                Route("/auth/v1/token", token, methods=["POST"]),
                Route("/auth/v1/logout", logout, methods=["POST"]),
                Route("/auth/v1/user", user, methods=["GET"]),
                Route("/auth/v1/.well-known/jwks.json", jwks, methods=["GET"]),
            ]
        )

    def _record(self, request: Request) -> None:
        self.requests.append((request.method, str(request.url), dict(request.headers)))

    def start(self) -> "FakeGoTrue":
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self.base_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        config = uvicorn.Config(self.app(), log_level="warning", lifespan="off")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("fake GoTrue did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)


def oauth_error(error: str, description: str) -> Response:
    """GoTrue's OAuth-style error: always HTTP 400."""
    return JSONResponse({"error": error, "error_description": description}, status_code=400)


def api_error(status: int, code: str, message: str) -> Response:
    """GoTrue's HTTPError for clients that send X-Supabase-Api-Version: 2024-01-01."""
    headers = {**API_VERSION, "x-sb-error-code": code}
    return JSONResponse({"code": code, "message": message}, status_code=status, headers=headers)
