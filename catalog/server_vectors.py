"""One vector per catalog entry and model (``mcp_server_embeddings``): which entries need one,
embedding them (from the bundled cache when it has them), and writing them.

Embedding happens before the loader's write transaction (``plan_server_vectors``), so a slow
embedding API holds no locks; ``write_server_vectors`` then needs only the servers' ids.
"""

from dataclasses import dataclass
from typing import Any

from catalog.embedders import Embedder, vector_literal
from catalog.models import CatalogEntry
from catalog.vector_cache import vectors_for

__all__ = ["ServerVectors", "plan_server_vectors", "write_server_vectors"]

_EXISTING = """
select m.slug, e.content_hash from public.mcp_server_embeddings e
  join public.mcp_servers m on m.id = e.server_id where e.model = $1
"""
_UPSERT = """
insert into public.mcp_server_embeddings (server_id, model, dimensions, content_hash, embedding)
values ($1, $2, $3, $4, $5::extensions.vector)
on conflict (server_id, model) do update set
  dimensions = excluded.dimensions, content_hash = excluded.content_hash,
  embedding = excluded.embedding, created_at = now()
"""


@dataclass
class ServerVectors:
    """The vectors of one model that a load writes: entries whose vector is missing or stale."""

    embedder: Embedder
    entries: list[CatalogEntry]
    hashes: list[str]  # each entry's content hash, which its vector row records
    vectors: list[list[float]]
    from_cache: int


async def plan_server_vectors(
    db: Any,
    embedder: Embedder,
    entries: list[CatalogEntry],
    hashes: dict[str, str],
    *,
    use_cache: bool = True,
) -> ServerVectors:
    """Embed the entries whose vector for ``embedder``'s model is missing or stale (their
    content hash, ``hashes[slug]``, changed)."""
    async with db.service() as conn:
        rows = await conn.fetch(_EXISTING, embedder.model_id)
    have = {r["slug"]: r["content_hash"] for r in rows}
    stale = [e for e in entries if have.get(e.slug) != hashes[e.slug]]
    texts = [e.embedding_text() for e in stale]
    by_text, from_cache = await vectors_for(embedder, texts, use_cache=use_cache)
    return ServerVectors(
        embedder, stale, [hashes[e.slug] for e in stale], [by_text[t] for t in texts], from_cache
    )


async def write_server_vectors(conn: Any, plan: ServerVectors, ids: dict[str, Any]) -> None:
    """Write the planned vectors (``ids``: slug -> server id, the servers written already)."""
    model, dimensions = plan.embedder.model_id, plan.embedder.dimensions
    await conn.executemany(
        _UPSERT,
        [
            (ids[e.slug], model, dimensions, content_hash, vector_literal(vector))
            for e, content_hash, vector in zip(plan.entries, plan.hashes, plan.vectors, strict=True)
        ],
    )
