"""Requests in other languages are read by the multilingual model: the catalog keeps its
vectors beside MiniLM's, and the search embeds such a request with it (catalog.search)."""

from catalog.embedders import LOCAL_MODEL_ID, MULTILINGUAL_MODEL_ID, get_embedder
from catalog.evaluation import isolated_database
from catalog.loader import ensure_catalog_loaded, validate_catalog
from catalog.search import PreparedSearch, prepare_search, run_search
from catalog.tool_index import tool_texts
from catalog.vector_cache import cached_vectors

_COUNT = """
select count(*) from mcp_server_embeddings e join mcp_servers m on m.id = e.server_id
 where e.model = $1 and m.retired_at is null
"""


def test_the_bundled_cache_holds_every_multilingual_vector() -> None:
    entries, _, _ = validate_catalog()
    texts = [e.embedding_text() for e in entries]
    texts += [t for e in entries for t in tool_texts(e).values()]
    assert len(cached_vectors(MULTILINGUAL_MODEL_ID, texts)) == len(set(texts))


async def test_the_catalog_keeps_both_models_vectors(database) -> None:
    async with database.service() as conn:
        english = await conn.fetchval(_COUNT, LOCAL_MODEL_ID)
        multilingual = await conn.fetchval(_COUNT, MULTILINGUAL_MODEL_ID)
    assert english == multilingual > 300


async def test_a_request_in_another_language_is_read_by_the_multilingual_model(
    database, settings
) -> None:
    embedder = get_embedder(settings)
    korean = await prepare_search(embedder, "최신 논문을 찾아서 요약해줘")
    english = await prepare_search(embedder, "Find the latest papers and summarise them")
    assert set(korean.models) == {MULTILINGUAL_MODEL_ID}
    assert set(english.models) == {LOCAL_MODEL_ID}
    # the same request read by MiniLM, as before the multilingual model
    by_minilm = PreparedSearch([LOCAL_MODEL_ID], korean.needs, await embedder.embed(korean.needs))
    russian = await prepare_search(
        embedder, "Проверь, какие поды в кластере постоянно перезапускаются"
    )
    async with database.service() as conn:
        found = await run_search(conn, korean, 3)
        before = await run_search(conn, by_minilm, 3)
        pods = await run_search(conn, russian, 3)
    # "find the latest papers and summarise them" names no service, and MiniLM cannot read it
    assert "arxiv-mcp-server" in {m.slug for m in found}
    assert "arxiv-mcp-server" not in {m.slug for m in before}
    # e5's similarities are reported on MiniLM's scale, which the selection floors use
    assert pods[0].slug == "kubernetes"
    assert pods[0].similarity is not None and 0.3 < pods[0].similarity < 1.0


async def test_a_database_from_before_the_multilingual_model_gets_its_vectors_at_start(
    database, settings
) -> None:
    async with isolated_database(database, settings) as db:
        assert await ensure_catalog_loaded(db, settings) is not None
        assert await ensure_catalog_loaded(db, settings) is None
        async with db.service() as conn:
            await conn.execute(
                "delete from mcp_server_embeddings where model = $1", MULTILINGUAL_MODEL_ID
            )
        again = await ensure_catalog_loaded(db, settings)
        assert again is not None and again.embedded == 0  # MiniLM's vectors were kept
        async with db.service() as conn:
            assert await conn.fetchval(_COUNT, MULTILINGUAL_MODEL_ID) > 300
