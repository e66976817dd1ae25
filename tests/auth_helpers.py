"""Helpers shared by the auth tests: a Supabase-mode app wired to the fake GoTrue."""

import base64
import hashlib
import hmac
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from auth.jwks import JwksCache
from auth.verify import TokenVerifier
from core.config import Settings
from dynamic_mcp.app import create_app
from tests.fakes.gotrue import ANON_KEY, FakeGoTrue


class Clock:
    """A monotonic clock the test moves by hand (JWKS TTL and refetch interval)."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class SupabaseApp:
    client: httpx.AsyncClient
    fake: FakeGoTrue
    clock: Clock
    settings: Settings
    verifier: TokenVerifier


def supabase_settings(
    make_settings: Any, data_dir: Any, fake: FakeGoTrue, **extra: Any
) -> Settings:
    return make_settings(data_dir, supabase_url=fake.base_url, supabase_anon_key=ANON_KEY, **extra)


def build_app(settings: Settings, database: Any, clock: Clock) -> tuple[Any, TokenVerifier]:
    app = create_app(settings, database=database)
    jwks = JwksCache(
        f"{settings.supabase_url}/auth/v1/.well-known/jwks.json",
        ttl=settings.jwks_cache_ttl_seconds,
        clock=clock,
    )
    verifier = TokenVerifier(settings, jwks=jwks)
    app.state.token_verifier = verifier
    return app, verifier


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def hand_signed(header: dict[str, Any], claims: dict[str, Any], secret: bytes | None) -> str:
    """A JWT built by hand, so no library refuses to forge it (HS256 or ``alg: none``)."""
    signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}"
    if secret is None:
        return signing_input + "."
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64url(signature)}"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_error(response: httpx.Response, status: int, code: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert isinstance(error["message"], str) and error["message"]
    if code is not None:
        assert error["code"] == code, error
    return error


@pytest.fixture(scope="module", name="gotrue_server")
def gotrue_server_fixture() -> Iterator[FakeGoTrue]:
    server = FakeGoTrue().start()
    yield server
    server.stop()


@pytest.fixture(name="fake")
def fake_fixture(gotrue_server: FakeGoTrue) -> FakeGoTrue:
    gotrue_server.reset()
    return gotrue_server
