"""Loading and searching the catalog on the real (embedded) Postgres."""

import json
from pathlib import Path

import pytest
import pytest_asyncio

from catalog.embedders import LocalEmbedder, vector_literal
from catalog.evaluation import evaluate, isolated_database, load_queries
from catalog.loader import ensure_catalog_loaded, load_catalog
from catalog.search import search_servers
from tests.catalog_helpers import CountingEmbedder, entry, write

DATA = Path(__file__).parent / "data"


SMALL = [
    entry(
        "acme-chat",
        "Acme Chat",
        "Post messages into team channels and read conversation threads.",
        ["post_message", "list_channels"],
    ),
    entry(
        "ledgerly",
        "Ledgerly",
        "Accounting ledger: record invoices, expenses and balances.",
        ["zebrafy_report"],
    ),
    entry("tidewatch", "Tidewatch", "Ocean tide tables and coastal water levels for harbours."),
]


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def scratch(database, settings):
    async with isolated_database(database, settings) as db:
        yield db


async def test_incremental_load_embeds_and_writes_only_what_changed(
    scratch, tmp_path: Path
) -> None:
    folder = write(tmp_path / "cat", *SMALL)
    embedder = CountingEmbedder()
    first = await load_catalog(scratch, embedder, [folder])
    assert (sorted(first.inserted), first.embedded, first.errors) == (
        ["acme-chat", "ledgerly", "tidewatch"],
        3,
        [],
    )
    async with scratch.service() as conn:
        stamps = dict(await conn.fetch("select slug, updated_at from mcp_servers"))

    embedder.texts.clear()
    again = await load_catalog(scratch, embedder, [folder])
    assert (again.unchanged, again.inserted, again.updated, again.embedded) == (3, [], [], 0)
    assert embedder.texts == []
    async with scratch.service() as conn:
        assert dict(await conn.fetch("select slug, updated_at from mcp_servers")) == stamps

    changed = [
        dict(SMALL[0], description="Post messages into team channels, now with threads."),
        *SMALL[1:],
    ]
    write(folder, *changed)
    report = await load_catalog(scratch, embedder, [folder])
    assert (report.updated, report.embedded, len(embedder.texts)) == (["acme-chat"], 1, 1)

    write(folder, *changed[:2])  # tidewatch removed from the files
    report = await load_catalog(scratch, embedder, [folder])
    assert report.retired == ["tidewatch"]
    async with scratch.service() as conn:  # word statistics follow the live catalog
        assert await conn.fetchval("select ndoc from mcp_search_terms where lexeme = ''") == 2
        assert not await conn.fetchval("select ndoc from mcp_search_terms where lexeme = 'tide'")
    async with scratch.service() as conn:
        found = await search_servers(
            conn, embedder, "ocean tide tables harbour", limit=5, split=False
        )
    assert "tidewatch" not in [m.slug for m in found]

    write(folder, *changed)  # back again: revived without re-embedding (same content)
    embedder.texts.clear()
    report = await load_catalog(scratch, embedder, [folder])
    assert (report.updated, report.retired, embedder.texts) == (["tidewatch"], [], [])


async def test_bad_entry_is_reported_and_never_retires_its_server(scratch, tmp_path: Path) -> None:
    folder = write(tmp_path / "cat", *SMALL)
    await load_catalog(scratch, CountingEmbedder(), [folder])
    (folder / "ledgerly.json").write_text(json.dumps(dict(SMALL[1], launch={"transport": "stdio"})))
    report = await load_catalog(scratch, CountingEmbedder(), [folder])
    assert len(report.errors) == 1 and "ledgerly.json: launch.stdio.command" in report.errors[0]
    assert report.valid == 2 and report.retired == []


async def test_model_switch_re_embeds_and_never_mixes_vectors(scratch, tmp_path: Path) -> None:
    folder = write(tmp_path / "cat", *SMALL)
    await load_catalog(scratch, CountingEmbedder("fake-a"), [folder])
    other = CountingEmbedder("fake-b", dimensions=16)
    report = await load_catalog(scratch, other, [folder])
    assert report.embedded == 3 and report.unchanged == 3
    async with scratch.service() as conn:
        models = dict(
            await conn.fetch("select model, count(*) from mcp_server_embeddings group by model")
        )
        assert models["fake-a"] == 3 and models["fake-b"] == 3
        # a vector of one model never meets another model's: an unknown model finds text only
        vector = (await other.embed(["tide tables"]))[0]
        rows = await conn.fetch(
            "select slug, why from search_mcp_servers($1, $2::extensions.vector, 'nope', 5)",
            "tide tables",
            vector_literal(vector),
        )
        assert [(r["slug"], r["why"]) for r in rows] == [("tidewatch", "text")]
        matches = await search_servers(conn, other, "tide tables", limit=1, split=False)
    assert matches[0].slug == "tidewatch" and matches[0].why == "both"


async def test_hybrid_search_finds_tool_words_and_paraphrases(scratch, tmp_path: Path) -> None:
    folder = write(tmp_path / "cat", *SMALL)
    embedder = LocalEmbedder()
    await load_catalog(scratch, embedder, [folder])
    async with scratch.service() as conn:
        by_tool = await search_servers(conn, embedder, "zebrafy", limit=3, split=False)
        assert by_tool[0].slug == "ledgerly" and by_tool[0].why in ("text", "both")
        # no word in common with the entry: only the vectors can find it
        paraphrase = await search_servers(conn, embedder, "ping my coworkers", limit=3, split=False)
        assert paraphrase[0].slug == "acme-chat" and paraphrase[0].why == "vector"
        assert paraphrase[0].credentials[0]["name"] == "TOKEN"


async def test_catalog_is_public_to_read_and_private_to_write(bundled) -> None:
    async with bundled.as_user({"sub": "00000000-0000-0000-0000-000000000001"}) as conn:
        assert await conn.fetchval("select count(*) from mcp_servers") >= 150
        rows = await conn.fetch("select slug from search_mcp_servers('slack', null, 'x', 3)")
        assert "slack" in [r["slug"] for r in rows]
        with pytest.raises(Exception, match="permission denied"):
            await conn.execute("update mcp_servers set name = 'x'")
    async with bundled.pool.acquire() as conn, conn.transaction():
        await conn.execute("set local role anon")
        assert await conn.fetchval("select count(*) from mcp_server_embeddings") >= 150
        with pytest.raises(Exception, match="permission denied"):
            await conn.execute("delete from mcp_servers")


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def bundled(database, settings):
    """A database of its own holding the bundled catalog (local embedder), loaded once per
    session; the shared test database is left alone for the other suites."""
    async with isolated_database(database, settings) as db:
        await ensure_catalog_loaded(db, settings)
        assert await ensure_catalog_loaded(db, settings) is None  # already there: no work
        yield db


@pytest.mark.parametrize("name", ["catalog_heldout_queries.jsonl", "catalog_fresh_queries.jsonl"])
async def test_requests_outside_the_dev_set(bundled, name: str) -> None:
    # paraphrases, requests that never name the service, non-English requests
    async with bundled.service() as conn:
        result = await evaluate(conn, LocalEmbedder(), load_queries(DATA / name), k=5)
    assert result.group_recall >= 0.85, result.failures


async def test_several_needs_in_one_request(bundled) -> None:
    # as a signed-in user, the way the chat's search tool runs it (RLS applies)
    async with bundled.as_user({"sub": "00000000-0000-0000-0000-000000000002"}) as conn:
        found = await search_servers(
            conn, LocalEmbedder(), "summarise GitHub issues and post to Slack", limit=5
        )
    slugs = [m.slug for m in found]
    assert {"slack"} <= set(slugs) and {"github-official", "github", "github-remote"} & set(slugs)
    assert {m.query for m in found} == {"summarise GitHub issues", "post to Slack"}


async def test_embedding_happens_before_the_connection_is_needed(bundled) -> None:
    from catalog.search import prepare_search, run_search

    prepared = await prepare_search(LocalEmbedder(), "Find flights to Berlin and check the weather")
    # each clause also gets the fixed phrase of its capability (catalog.capabilities)
    assert prepared.needs == [
        "find flights to Berlin",
        "check the weather",
        "search flights and fares",
        "weather forecast",
    ]
    async with bundled.service() as conn:
        found = await run_search(conn, prepared, limit=4)
    assert {"google-flights", "openweather"} <= {m.slug for m in found}
