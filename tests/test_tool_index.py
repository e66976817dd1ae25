"""The per-tool index: one vector per tool, kept in step with the catalog, and a server ranked by
its best tool (issue 15), on the real embedded Postgres."""

from dataclasses import replace
from pathlib import Path

import pytest
import pytest_asyncio

from catalog.embedders import LocalEmbedder
from catalog.evaluation import isolated_database
from catalog.loader import ensure_catalog_loaded, load_catalog
from catalog.models import parse_entry
from catalog.search import HYBRID, search_servers
from catalog.tool_index import MAX_TOOLS, tool_texts
from tests.catalog_helpers import CountingEmbedder, entry, write


def _tool(name: str, description: str) -> dict[str, str]:
    return {"name": name, "description": description}


# A server whose summary says nothing about what one of its tools does: only that tool's own
# description can route "rotate the TLS certificates" to it.
OPS = dict(
    entry("acme-ops", "Acme Ops", "Internal operations console for the platform team."),
    tools=[
        _tool("list_deployments", "List recent deployments and their status"),
        _tool("rotateTlsCertificates", "Renew and rotate the TLS certificates of load balancers"),
    ],
)
OTHERS = [
    entry("ledgerly", "Ledgerly", "Accounting ledger: record invoices, expenses and balances."),
    entry("tidewatch", "Tidewatch", "Ocean tide tables and coastal water levels for harbours."),
    entry("certbook", "Certbook", "Track professional certifications and training courses."),
]


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def scratch(database, settings):
    async with isolated_database(database, settings) as db:
        yield db


def test_tool_text_carries_the_server_name_the_tool_words_and_its_description() -> None:
    texts = tool_texts(parse_entry(OPS, "acme-ops"))
    assert texts["rotateTlsCertificates"] == (
        "Acme Ops: rotate Tls Certificates. Renew and rotate the TLS certificates of load balancers"
    )
    assert texts["list_deployments"].startswith("Acme Ops: list deployments. ")
    many = dict(OPS, tools=[_tool(f"tool_{i}", "x" * 500) for i in range(MAX_TOOLS + 5)])
    texts = tool_texts(parse_entry(many, "acme-ops"))
    assert len(texts) == MAX_TOOLS and max(len(t) for t in texts.values()) < 340


async def _tool_rows(db) -> dict[tuple[str, str], str]:
    async with db.service() as conn:
        rows = await conn.fetch(
            "select m.slug, t.tool_name, t.content_hash from mcp_tool_embeddings t"
            " join mcp_servers m on m.id = t.server_id where t.model = 'fake-bow'"
        )
    return {(r["slug"], r["tool_name"]): r["content_hash"] for r in rows}


async def test_tool_vectors_follow_the_catalog_incrementally(scratch, tmp_path: Path) -> None:
    folder = write(tmp_path / "cat", OPS, *OTHERS)
    embedder = CountingEmbedder()
    first = await load_catalog(scratch, embedder, [folder])
    assert first.tools_embedded == 2
    rows = await _tool_rows(scratch)
    assert set(rows) == {("acme-ops", "list_deployments"), ("acme-ops", "rotateTlsCertificates")}

    embedder.texts.clear()  # nothing changed: nothing embedded
    again = await load_catalog(scratch, embedder, [folder])
    assert (again.tools_embedded, embedder.texts) == (0, [])

    # one tool edited, one removed, one added: only the edited and the new one are embedded
    edited = dict(
        OPS,
        tools=[
            _tool("rotateTlsCertificates", "Rotate TLS certificates on every load balancer"),
            _tool("restart_service", "Restart a service"),
        ],
    )
    write(folder, edited, *OTHERS)
    embedder.texts.clear()
    report = await load_catalog(scratch, embedder, [folder])
    assert report.tools_embedded == 2 and len(embedder.texts) == 3  # the server's text too
    after = await _tool_rows(scratch)
    assert set(after) == {("acme-ops", "rotateTlsCertificates"), ("acme-ops", "restart_service")}
    assert (
        after[("acme-ops", "rotateTlsCertificates")] != rows[("acme-ops", "rotateTlsCertificates")]
    )


async def test_a_server_is_found_by_its_best_tool(scratch, tmp_path: Path) -> None:
    folder = write(tmp_path / "cat", OPS, *OTHERS)
    embedder = LocalEmbedder()
    await load_catalog(scratch, embedder, [folder])
    request = "renew the certificates on our load balancers before they expire"
    async with scratch.service() as conn:
        found = await search_servers(conn, embedder, request, limit=3, split=False)
        top = found[0]
        assert (top.slug, top.best_tool) == ("acme-ops", "rotateTlsCertificates")
        assert top.tool_similarity is not None and top.tool_similarity > (top.similarity or 0)
        # with the tool ranking off, no tool is reported and the server's own rank is all
        plain = await search_servers(
            conn, embedder, request, limit=3, split=False, weights=replace(HYBRID, tool=0.0)
        )
    assert all(m.best_tool is None for m in plain)
    assert [m.score for m in found if m.slug == "acme-ops"] > [
        m.score for m in plain if m.slug == "acme-ops"
    ]


async def test_retired_servers_tools_never_rank(scratch, tmp_path: Path) -> None:
    folder = write(tmp_path / "cat", OPS, *OTHERS)
    embedder = LocalEmbedder()
    await load_catalog(scratch, embedder, [folder])
    write(folder, *OTHERS)  # acme-ops retired
    await load_catalog(scratch, embedder, [folder])
    async with scratch.service() as conn:
        found = await search_servers(
            conn, embedder, "rotate the TLS certificates", limit=5, split=False
        )
    assert "acme-ops" not in [m.slug for m in found]


async def test_tool_vectors_are_public_to_read_and_private_to_write(scratch, tmp_path) -> None:
    await load_catalog(scratch, CountingEmbedder(), [write(tmp_path / "cat", OPS, *OTHERS)])
    async with scratch.as_user({"sub": "00000000-0000-0000-0000-000000000001"}) as conn:
        assert await conn.fetchval("select count(*) from mcp_tool_embeddings") >= 2
        with pytest.raises(Exception, match="permission denied"):
            await conn.execute("delete from mcp_tool_embeddings")
    async with scratch.pool.acquire() as conn, conn.transaction():
        await conn.execute("set local role anon")
        assert await conn.fetchval("select count(*) from mcp_tool_embeddings") >= 2
        with pytest.raises(Exception, match="permission denied"):
            await conn.execute("update mcp_tool_embeddings set tool_name = 'x'")


def test_bundled_cache_holds_every_bundled_tool_vector() -> None:
    # a fresh database must not embed thousands of tool texts at start (catalog.vector_cache)
    from catalog.embedders import LOCAL_MODEL_ID
    from catalog.loader import validate_catalog
    from catalog.vector_cache import cached_vectors

    entries, _, _ = validate_catalog()
    texts = [t for e in entries for t in tool_texts(e).values()]
    assert len(texts) > 1000
    assert len(cached_vectors(LOCAL_MODEL_ID, texts)) == len(set(texts))


async def test_a_database_from_before_the_tool_index_gets_its_tool_vectors_at_start(
    database, settings
) -> None:
    async with isolated_database(database, settings) as db:
        first = await ensure_catalog_loaded(db, settings)
        assert first is not None and first.tools_embedded > 1000
        assert await ensure_catalog_loaded(db, settings) is None
        async with db.service() as conn:
            await conn.execute("delete from mcp_tool_embeddings")
        again = await ensure_catalog_loaded(db, settings)
        assert again is not None and again.tools_embedded == first.tools_embedded
        assert again.embedded == 0  # the server vectors were kept
