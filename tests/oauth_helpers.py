"""Shared by the OAuth tests: the loopback provider in the catalog, and a browser's walk."""

import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx

from catalog.embedders import get_embedder
from catalog.loader import BUNDLED_DIR, load_catalog
from tests.fakes.oauth_provider import FakeOAuthProvider

TEMPLATE = Path(__file__).parent / "data" / "oauth_catalog" / "fake-issues.json.template"
SLUG = "fake-issues"


def write_catalog_dir(directory: Path, provider: FakeOAuthProvider) -> Path:
    """An operator catalog folder holding the provider's MCP server (its port is random)."""
    directory.mkdir(parents=True, exist_ok=True)
    text = TEMPLATE.read_text().replace("{base_url}", provider.base_url)
    (directory / "fake-issues.json").write_text(text)
    return directory


async def load_with(database: Any, settings: Any, directory: Path) -> None:
    await load_catalog(database, get_embedder(settings), [BUNDLED_DIR, directory])


async def unload(database: Any) -> None:
    async with database.service() as conn:
        await conn.execute("delete from public.mcp_servers where slug = $1", SLUG)


async def new_session(database: Any, user: Any) -> str:
    async with database.as_user(user.claims) as conn:
        return str(
            await conn.fetchval(
                "insert into sessions (user_id, title) values ($1, 'oauth test') returning id",
                uuid.UUID(user.id),
            )
        )


@dataclass
class Walk:
    """Where a browser got to: the redirect to the provider and the provider's answer."""

    authorize_url: str
    callback: str  # path and query of our callback, as the provider redirected to it


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


async def walk_to_callback(browser: httpx.AsyncClient, connect_url: str) -> Walk:
    """Open the Connect link (our start page), then the provider's authorize page."""
    started = await browser.get(path_of(connect_url))
    assert started.status_code == 302, started.text
    authorize_url = started.headers["location"]
    async with httpx.AsyncClient() as outside:
        answer = await outside.get(authorize_url)
    assert answer.status_code == 302, answer.text
    return Walk(authorize_url, path_of(answer.headers["location"]))


def query(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query))
