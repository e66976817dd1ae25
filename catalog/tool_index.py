"""One vector per tool of each catalog entry (``mcp_tool_embeddings``), so the search can rank
a server by its best tool: a request that describes actions ("list the open pull requests and
comment on each") matches one tool's description better than a whole server's summary.

Incremental like the server vectors: a tool whose text is unchanged keeps its row; new and
edited tools are embedded (from the bundled cache when it has them); tools an entry no longer
lists are deleted.
"""

import re
from typing import Any

from catalog.embedders import Embedder, vector_literal
from catalog.models import CatalogEntry
from catalog.vector_cache import text_key, vectors_for

__all__ = ["sync_tool_vectors", "tool_texts"]

# Tools past this many per server add little (the verified lists run to 100+ for some vendor
# servers) and would let one server crowd the nearest-tool candidates.
MAX_TOOLS = 40
_MAX_DESCRIPTION = 300

_EXISTING = """
select m.slug, t.tool_name, t.content_hash
  from public.mcp_tool_embeddings t join public.mcp_servers m on m.id = t.server_id
 where t.model = $1
"""
_UPSERT = """
insert into public.mcp_tool_embeddings
  (server_id, tool_name, model, dimensions, content_hash, embedding)
values ((select id from public.mcp_servers where slug = $1), $2, $3, $4, $5,
        $6::extensions.vector)
on conflict (server_id, tool_name, model) do update set
  dimensions = excluded.dimensions, content_hash = excluded.content_hash,
  embedding = excluded.embedding, created_at = now()
"""
_DELETE = """
delete from public.mcp_tool_embeddings t using public.mcp_servers m
 where m.id = t.server_id and t.model = $1 and m.slug = $2 and t.tool_name = $3
"""


def _words(name: str) -> str:
    # "slack_post_message" / "createIssue" -> "slack post message" / "create Issue"
    return re.sub(r"(?<=[a-z])(?=[A-Z])", " ", name).replace("_", " ").replace("-", " ")


def tool_texts(entry: CatalogEntry) -> dict[str, str]:
    """tool name -> the text embedded for it: the server's name (so "create a task in Asana"
    prefers Asana's create-task over another's), the tool's name as words, its description."""
    out: dict[str, str] = {}
    for tool in entry.tools[:MAX_TOOLS]:
        description = " ".join(tool.description.split())[:_MAX_DESCRIPTION]
        out.setdefault(tool.name, f"{entry.name}: {_words(tool.name)}. {description}".strip())
    return out


async def sync_tool_vectors(
    conn: Any, embedder: Embedder, entries: list[CatalogEntry], *, use_cache: bool = True
) -> int:
    """Make the tool vectors of ``embedder``'s model match ``entries`` (their servers must be
    written already). Returns how many tools were embedded or re-embedded."""
    wanted = {(e.slug, name): text for e in entries for name, text in tool_texts(e).items()}
    have = {
        (r["slug"], r["tool_name"]): r["content_hash"]
        for r in await conn.fetch(_EXISTING, embedder.model_id)
    }
    stale = [key for key, text in wanted.items() if have.get(key) != text_key(text)]
    slugs = {e.slug for e in entries}
    gone = [key for key in have if key[0] in slugs and key not in wanted]
    if stale:
        texts = [wanted[key] for key in stale]
        vectors, _ = await vectors_for(embedder, texts, use_cache=use_cache)
        model, dimensions = embedder.model_id, embedder.dimensions
        rows = [
            (slug, name, model, dimensions, text_key(text), vector_literal(vectors[text]))
            for (slug, name), text in ((key, wanted[key]) for key in stale)
        ]
        await conn.executemany(_UPSERT, rows)
    if gone:
        await conn.executemany(_DELETE, [(embedder.model_id, slug, name) for slug, name in gone])
    return len(stale)
