"""The signed-in user as routes see it, and the auth API's request/response shapes."""

from typing import Any

from pydantic import BaseModel, Field


class User(BaseModel):
    """A user whose access token has been verified; ``claims`` go to ``db.as_user``."""

    id: str
    email: str | None = None
    name: str | None = None
    avatar_url: str | None = None
    claims: dict[str, Any] = Field(default_factory=dict, repr=False)

    @classmethod
    def from_claims(cls, claims: dict[str, Any]) -> "User":
        meta = claims.get("user_metadata")
        meta = meta if isinstance(meta, dict) else {}
        return cls(
            id=str(claims["sub"]),
            email=claims.get("email") or meta.get("email") or None,
            name=meta.get("full_name") or meta.get("name") or None,
            avatar_url=meta.get("avatar_url") or meta.get("picture") or None,
            claims=claims,
        )


class UserOut(BaseModel):
    id: str
    email: str | None = None
    name: str | None = None
    avatar_url: str | None = None


class TokenResponse(BaseModel):
    access_token: str
    refresh_token: str
    expires_at: int
    token_type: str = "bearer"  # noqa: S105 (a scheme name, not a secret)
    user: UserOut


class AuthConfig(BaseModel):
    mode: str
    supabase_url: str | None
    supabase_anon_key: str | None
