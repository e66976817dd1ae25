"""Access-token verification and the ``CurrentUser`` dependency.

python-jose (cryptography backend) does the signature and claim checks, but we never let it
pick a key or an algorithm: the token header only *selects* a key, each key type has exactly
one algorithm (EC P-256 → ES256, RSA → RS256, the legacy secret → HS256), the key object is
built by us, and ``decode`` gets ``algorithms=[that one]``. An HS256 token is only ever checked
against the configured legacy secret, so a public key can never be used as an HMAC secret
(python-jose issue #414).
"""

import logging
import time
import uuid
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from jose import jwt
from jose.backends.base import Key
from jose.backends.cryptography_backend import (
    CryptographyECKey,
    CryptographyHMACKey,
    CryptographyRSAKey,
)
from jose.exceptions import ExpiredSignatureError, JWKError, JWTClaimsError, JWTError

from auth.jwks import ASYMMETRIC_ALGS, JwksCache, KeysUnavailable
from auth.local import LOCAL_ALGORITHM, LOCAL_ISSUER, signing_key
from auth.models import User
from core.config import Settings, get_settings
from core.errors import AppError

log = logging.getLogger(__name__)

MAX_TOKEN_BYTES = 16_384
MIN_RSA_BITS = 2048
_CHALLENGE = {"WWW-Authenticate": 'Bearer error="invalid_token"'}


def unauthorized(code: str, message: str) -> AppError:
    return AppError(401, code, message, headers=dict(_CHALLENGE))


def supabase_issuer(settings: Settings) -> str:
    return f"{(settings.supabase_url or '').rstrip('/')}/auth/v1"


class TokenVerifier:
    """Verifies bearer tokens for one configuration (Supabase project or local issuer)."""

    def __init__(self, settings: Settings, jwks: JwksCache | None = None) -> None:
        self.audience = settings.jwt_audience
        self.leeway = settings.jwt_leeway_seconds
        self.jwks: JwksCache | None = None
        self.local_kid: str | None = None
        self.local_key: Key | None = None
        self.hmac_key: Key | None = None
        if settings.supabase_enabled:
            self.issuer = supabase_issuer(settings)
            if settings.environment == "production" and not self.issuer.startswith("https://"):
                log.warning("SUPABASE_URL is not https: signing keys are fetched in the clear")
            self.jwks = jwks or JwksCache(
                f"{self.issuer}/.well-known/jwks.json", ttl=settings.jwks_cache_ttl_seconds
            )
            if settings.supabase_jwt_secret is not None:
                secret = settings.supabase_jwt_secret.get_secret_value()
                if secret:
                    self.hmac_key = CryptographyHMACKey(secret, "HS256")
        else:
            self.issuer = LOCAL_ISSUER
            local = signing_key(settings)
            self.local_kid = local.kid
            self.local_key = CryptographyECKey(local.public_jwk, LOCAL_ALGORITHM)

    async def _key_for(self, header: dict[str, Any]) -> tuple[Key, str]:
        alg = header.get("alg")
        kid = header.get("kid")
        if not isinstance(alg, str):
            raise unauthorized("invalid_token", "Token header has no algorithm")
        if alg == "HS256":
            if self.hmac_key is None:
                raise unauthorized("invalid_token", "HS256 tokens are not accepted by this server")
            return self.hmac_key, alg
        if alg not in ASYMMETRIC_ALGS:
            raise unauthorized("invalid_token", f"Token algorithm {alg!r} is not allowed")
        if not isinstance(kid, str) or not kid:
            raise unauthorized("invalid_token", "Token header has no key id (kid)")
        if self.local_key is not None:
            if alg != LOCAL_ALGORITHM or kid != self.local_kid:
                raise unauthorized("invalid_token", "Token was signed by an unknown key")
            return self.local_key, alg
        assert self.jwks is not None
        try:
            jwk = await self.jwks.get(kid)
        except KeysUnavailable:
            raise unauthorized(
                "auth_unavailable",
                "Cannot verify the token: the auth server's signing keys are unreachable. "
                "Retry shortly.",
            ) from None
        if jwk is None:
            raise unauthorized("invalid_token", "Token was signed by an unknown key")
        kty, _crv = ASYMMETRIC_ALGS[alg]
        if jwk.get("kty") != kty or jwk.get("alg", alg) != alg:
            raise unauthorized("invalid_token", "Token algorithm does not match its signing key")
        try:
            key: Key = (
                CryptographyRSAKey(jwk, alg) if alg == "RS256" else CryptographyECKey(jwk, alg)
            )
        except (JWKError, ValueError, TypeError):
            raise unauthorized("invalid_token", "The project's signing key is unusable") from None
        if alg == "RS256" and key.prepared_key.key_size < MIN_RSA_BITS:
            raise unauthorized("invalid_token", "Token signing key is too weak")
        return key, alg

    async def verify(self, token: str) -> dict[str, Any]:
        """The token's claims if it is valid for this service, else a 401 AppError."""
        if not token or len(token) > MAX_TOKEN_BYTES or token.count(".") != 2:
            raise unauthorized("invalid_token", "Malformed access token")
        try:
            header = jwt.get_unverified_header(token)
        except JWTError:
            raise unauthorized("invalid_token", "Malformed access token") from None
        if not isinstance(header, dict):
            raise unauthorized("invalid_token", "Malformed access token")
        if "crit" in header:
            # RFC 7515 §4.1.11: extensions listed in "crit" must be understood or the token
            # refused; this service understands none (b64=false, for one, changes what is signed).
            raise unauthorized("invalid_token", "Token header has critical extensions (crit)")
        key, alg = await self._key_for(header)
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=[alg],
                audience=self.audience,
                issuer=self.issuer,
                options={
                    "leeway": self.leeway,
                    "require_exp": True,
                    "require_iat": True,
                    "require_sub": True,
                    "require_aud": True,
                    "require_iss": True,
                },
            )
        except ExpiredSignatureError:
            raise unauthorized("token_expired", "Access token has expired; refresh it") from None
        except JWTClaimsError as exc:
            raise unauthorized("invalid_token", f"Access token rejected: {exc}") from None
        except JWTError as exc:
            if "missing required key" in str(exc):  # jose reports absent claims this way
                raise unauthorized("invalid_token", f"Access token rejected: {exc}") from None
            raise unauthorized("invalid_token", "Access token signature is invalid") from None
        self._check_claims(claims)
        return claims

    def _check_claims(self, claims: dict[str, Any]) -> None:
        iat = claims["iat"]
        if not isinstance(iat, int | float) or isinstance(iat, bool):
            raise unauthorized("invalid_token", "Access token iat claim must be a number")
        if iat > time.time() + self.leeway:
            raise unauthorized("invalid_token", "Access token is not yet valid (iat)")
        role = claims.get("role")
        if role != "authenticated":
            raise unauthorized("invalid_token", f"Token role {role!r} is not allowed here")
        try:
            uuid.UUID(str(claims["sub"]))
        except ValueError:
            raise unauthorized("invalid_token", "Token subject is not a user id") from None


def get_verifier(request: Request) -> TokenVerifier:
    """The app's verifier, built on first use from the app's settings."""
    state = request.app.state
    verifier = getattr(state, "token_verifier", None)
    if verifier is None:
        settings = getattr(state, "settings", None) or get_settings()
        verifier = TokenVerifier(settings)
        state.token_verifier = verifier
    return verifier


bearer_scheme = HTTPBearer(auto_error=False, description="Access token from /api/auth/*")


async def get_current_user(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> User:
    """FastAPI dependency: the signed-in user, or 401."""
    if credentials is None:
        raise unauthorized(
            "missing_token", "Sign in first: send 'Authorization: Bearer <access token>'"
        )
    claims = await get_verifier(request).verify(credentials.credentials)
    return User.from_claims(claims)
