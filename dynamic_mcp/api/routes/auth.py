"""Sign-in, token refresh, sign-out and the current user's profile."""

from typing import Annotated

from fastapi import APIRouter, Depends, Response
from fastapi.security import HTTPAuthorizationCredentials
from pydantic import BaseModel, ConfigDict, Field

from auth import local_sessions, supabase
from auth.models import AuthConfig, TokenResponse, UserOut
from auth.verify import bearer_scheme
from core.errors import AppError, error_responses
from dynamic_mcp.api.deps import DB, AppSettings, CurrentUser


def _no_store(response: Response) -> None:
    # Tokens and profiles must never sit in a browser or proxy cache (RFC 6749 §5.1).
    response.headers["Cache-Control"] = "no-store"


router = APIRouter(tags=["auth"], responses=error_responses(500), dependencies=[Depends(_no_store)])


class LocalSignIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",  # an old-style {"email": ...} must fail loudly, not sign anyone in
        json_schema_extra={"examples": [{"token": "q3Vx0k2m8d7P1wEJ9cTnYbR4sLhA6fGuZoKiWe5yN0U"}]},
    )

    token: str = Field(
        min_length=16,
        max_length=256,
        pattern=r"^[A-Za-z0-9_-]+$",
        description="The token of a one-time sign-in link (printed at start, or made with "
        "`dynamic-mcp sign-in-link`)",
    )


class GoogleSignIn(BaseModel):
    id_token: str = Field(min_length=1, max_length=8192)
    nonce: str | None = Field(default=None, max_length=512)
    access_token: str | None = Field(default=None, max_length=8192)


class RefreshRequest(BaseModel):
    refresh_token: str = Field(min_length=1, max_length=1024)


@router.get("/api/auth/config", summary="How to sign in here")
async def auth_config(settings: AppSettings) -> AuthConfig:
    """How a client signs in here: locally, or with Google through Supabase."""
    if not settings.supabase_enabled:
        return AuthConfig(mode="local", supabase_url=None, supabase_anon_key=None)
    key = settings.supabase_anon_key.get_secret_value() if settings.supabase_anon_key else None
    return AuthConfig(mode="supabase", supabase_url=settings.supabase_url, supabase_anon_key=key)


@router.post(
    "/api/auth/local",
    summary="Sign in locally with a one-time link (embedded mode)",
    responses=error_responses(401, 403, 413, 422, 429),
)
async def sign_in_local(body: LocalSignIn, db: DB, settings: AppSettings) -> TokenResponse:
    """Embedded default only: spend a one-time sign-in link for the account it names."""
    if settings.supabase_enabled:
        raise AppError(
            403,
            "local_sign_in_disabled",
            "Local sign-in is off because Supabase is configured; use POST /api/auth/google",
        )
    return await local_sessions.sign_in_local(db, settings, body.token)


@router.post(
    "/api/auth/google",
    summary="Sign in with a Google ID token (Supabase mode)",
    responses=error_responses(400, 401, 403, 413, 422, 429, 502, 503),
)
async def sign_in_google(body: GoogleSignIn, settings: AppSettings) -> TokenResponse:
    """Exchange a Google ID token (and its raw nonce) for a Supabase session."""
    if not settings.supabase_enabled:
        raise AppError(
            403,
            "google_sign_in_disabled",
            "Google sign-in needs SUPABASE_URL; this server runs in local mode: "
            "use POST /api/auth/local",
        )
    return await supabase.sign_in_with_google(
        settings, body.id_token, body.nonce, body.access_token
    )


@router.post(
    "/api/auth/refresh",
    summary="Rotate a refresh token",
    responses=error_responses(400, 401, 413, 422, 429, 502, 503),
)
async def refresh(body: RefreshRequest, db: DB, settings: AppSettings) -> TokenResponse:
    """Rotate a refresh token: the old one is spent, a new pair is returned."""
    if settings.supabase_enabled:
        return await supabase.refresh(settings, body.refresh_token)
    return await local_sessions.refresh_local(db, settings, body.refresh_token)


@router.post(
    "/api/auth/logout",
    status_code=204,
    summary="Sign out everywhere",
    responses=error_responses(401, 502, 503),
)
async def logout(
    user: CurrentUser,
    db: DB,
    settings: AppSettings,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> Response:
    """Revoke all of the user's sessions. Access tokens stay valid until they expire."""
    if settings.supabase_enabled:
        assert credentials is not None  # CurrentUser already required it
        await supabase.sign_out(settings, credentials.credentials)
    else:
        await local_sessions.sign_out_local(db, user.id)
    return Response(status_code=204)


@router.get("/api/me", summary="The signed-in user", responses=error_responses(401))
async def me(user: CurrentUser) -> UserOut:
    """The signed-in user's profile (from the verified token)."""
    return UserOut(id=user.id, email=user.email, name=user.name, avatar_url=user.avatar_url)
