"""No database connection is held while waiting on something slow outside the database.

Under load every request shares a small pool (``DB_POOL_MAX``, 10 by default). A tool that
keeps its transaction open while the query is embedded on a worker thread (or a model call is
in flight) convoys everyone behind it: in a 30-user load run a search waited more than 10 s for
a connection and came back to the model as a tool error. This test makes that deterministic:
with a pool of ONE connection, the embedder itself needs a connection; if the tool still holds
the only one, the embedder cannot get it and the search fails.
"""

import asyncio
from typing import Any

import asyncpg
import pytest

from catalog.embedders import get_embedder
from core.db.database import Database, _init_connection
from tools.registry import ToolContext
from tools.search import search_mcp_servers


class NeedsTheDatabase:
    """Wraps the real embedder; embedding first takes (and gives back) a pooled connection."""

    def __init__(self, real: Any, db: Database) -> None:
        self.real, self.db, self.model_id = real, db, real.model_id

    async def embed(self, texts: list[str]) -> list[list[float]]:
        async with asyncio.timeout(2):
            async with self.db.service() as conn:
                await conn.fetchval("select 1")
        return await self.real.embed(texts)


@pytest.fixture
async def one_connection_db(database):
    pool = await asyncpg.create_pool(database.dsn, min_size=1, max_size=1, init=_init_connection)
    yield Database(pool, database.dsn, None)
    await pool.close()


async def test_search_does_not_hold_a_connection_while_embedding(
    one_connection_db, settings, make_user
):
    user = await make_user()
    ctx = ToolContext(
        user=user,
        session_id="",
        db=one_connection_db,
        settings=settings,
        embedder=NeedsTheDatabase(get_embedder(settings), one_connection_db),
    )
    result = await search_mcp_servers(ctx, queries=["GitHub issues", "post to Slack"], limit=3)
    assert [r["query"] for r in result["results"]] == ["GitHub issues", "post to Slack"]
