"""Shared fixtures: one embedded Postgres per test session, the app, and signed-in users."""

import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
import pytest_asyncio

from auth.local import issue_local_token
from auth.sign_in_links import create_link
from catalog.embedders import get_embedder
from catalog.loader import load_catalog
from core.config import Settings
from core.db.database import Database
from dynamic_mcp.app import create_app

# Keys of the developer's shell must not change what the tests exercise.
for _name in (
    "ANTHROPIC_API_KEY",
    "OPENAI_API_KEY",
    "DATABASE_URL",
    "SUPABASE_URL",
    "CREDENTIALS_KEY",
):
    os.environ.pop(_name, None)
# Every app a test builds shares the one test database, whatever its data dir: give them all the
# same credentials key ring (a per-data-dir key file would make their ciphertexts unreadable to
# each other). Tests of the key file itself pass ``credentials_key=None``.
os.environ["CREDENTIALS_KEY"] = "tests:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="


@dataclass
class TestUser:
    id: str
    email: str
    token: str
    claims: dict = field(default_factory=dict)

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def make_settings(data_dir: Path, **overrides: object) -> Settings:
    """Settings for tests: a private data dir, no external services, quick retries."""
    values: dict[str, object] = {
        "data_dir": data_dir,
        "environment": "test",
        "log_level": "INFO",
        "anthropic_api_key": None,
        "openai_api_key": None,
        "database_url": None,
        "supabase_url": None,
        # The suite signs in and chats hundreds of times a minute from one address, and the
        # per-address counters live in the shared database: the limit tests turn these on.
        "rate_limit_ip_per_minute": 0,
        "rate_limit_auth_per_minute": 0,
        "rate_limit_agents_per_minute": 0,
        # agents run sandboxed: the test MCP servers' code must be visible inside (read-only)
        "agent_sandbox_paths": [Path(__file__).resolve().parent / "mcp_servers"],
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("data")


@pytest.fixture(scope="session")
def settings(data_dir: Path) -> Settings:
    return make_settings(data_dir)


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def database(settings: Settings) -> AsyncIterator[Database]:
    db = await Database.open(settings)
    # The full bundled catalog, as `serve` loads it (vectors come from the shipped cache), so
    # every test sees the same catalog whatever order the tests run in.
    await load_catalog(db, get_embedder(settings))
    yield db
    await db.close()


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def app(settings: Settings, database: Database) -> AsyncIterator[object]:
    application = create_app(settings, database=database)
    async with application.router.lifespan_context(application):
        yield application


@pytest_asyncio.fixture(loop_scope="session")
async def client(app: object) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


async def create_user(database: Database, settings: Settings, email: str | None = None) -> TestUser:
    """Insert a user into auth.users and sign a local access token for it."""
    user_id = str(uuid.uuid4())
    email = email or f"user-{user_id[:8]}@example.test"
    async with database.service() as conn:
        await conn.execute(
            "insert into auth.users (id, aud, role, email) values ($1, 'authenticated', 'authenticated', $2)",
            uuid.UUID(user_id),
            email,
        )
    token, _ = issue_local_token(settings, user_id, email)
    claims = {"sub": user_id, "email": email, "role": "authenticated", "aud": "authenticated"}
    return TestUser(id=user_id, email=email, token=token, claims=claims)


@pytest.fixture
def make_user(database: Database, settings: Settings) -> Callable[..., Awaitable[TestUser]]:
    async def _make(email: str | None = None) -> TestUser:
        return await create_user(database, settings, email)

    return _make


async def sign_in_local(
    client: httpx.AsyncClient,
    database: Database,
    settings: Settings,
    email: str | None = None,
    name: str | None = None,
) -> dict:
    """Sign in through ``POST /api/auth/local`` as the operator does: make a one-time link with
    the code behind ``dynamic-mcp sign-in-link``, then spend its token. Returns the session."""
    token = await create_link(database, settings, email, name)
    response = await client.post("/api/auth/local", json={"token": token})
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture
def sign_in(
    client: httpx.AsyncClient, database: Database, settings: Settings
) -> Callable[..., Awaitable[dict]]:
    """``await sign_in(email=..., name=...)``: a local session through the API (see above)."""

    async def _sign_in(email: str | None = None, name: str | None = None) -> dict:
        return await sign_in_local(client, database, settings, email, name)

    return _sign_in
