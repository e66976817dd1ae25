"""Find the MCP servers a request needs: split it into needs, run the hybrid SQL search for
each, put the servers a need names first, and keep one ranking per need."""

from dataclasses import asdict, dataclass, field
from typing import Any

from catalog.embedders import (
    Embedder,
    MultilingualEmbedder,
    comparable_similarity,
    embed_queries,
    readers,
    vector_literal,
)
from catalog.examples import example_candidate, example_index, prepare_examples
from catalog.interleave import interleave
from catalog.language import reads_as_english
from catalog.named import named_in, unknown_names
from catalog.naming import strong_words
from catalog.needs import split_needs
from catalog.normalise import normalise_request

__all__ = ["PreparedSearch", "ServerMatch", "interleave", "run_search", "search_servers"]
__all__ += ["prepare_search", "rank_needs", "split_needs", "unknown_names"]

# $10 host_runtimes: what this host can run (catalog.runtimes); servers needing more are left
# out of the candidates in SQL. NULL searches everything (``runnable`` then says why not).
_SEARCH_SQL = """
select slug, name, description, score, why, credentials, similarity, requires, runnable,
       best_tool, tool_similarity
  from public.search_mcp_servers(
    $1, $2::extensions.vector, $3, $4, $5, 60, $6, $7, $8, 200, $10, $9, $11)
"""
# Given servers the ranking did not reach (those a need names, or the one whose example
# requests read most like it), with their similarity to the need.
_NAMED_SQL = """
select m.slug, m.name, m.description, 0.0 as score, 'name' as why, m.credentials,
       (select 1 - (e.embedding <=> $2::extensions.vector) from public.mcp_server_embeddings e
         where e.server_id = m.id and e.model = $3) as similarity, m.requires,
       public.catalog_runnable(m.requires, m.verify_status, coalesce($4, m.requires)) as runnable,
       null::text as best_tool, null::float as tool_similarity
  from public.mcp_servers m
 where m.slug = any($1) and m.retired_at is null
   and public.catalog_runnable(m.requires, m.verify_status, $4)
"""


@dataclass(frozen=True)
class Weights:
    """How the SQL fuses its rankings. Hybrid is the product; the other two are the baselines
    the eval reports next to it. The product's weights were chosen on the dev split only
    (tests/data/selection_dev.jsonl) by a grid over text 0.5-1, semantic 0.25-1, name 1-2:
    semantic 0.35-0.65 gave the best search@5 and full-turn task success there. The tool
    ranking's weight likewise (0.15-1): 0.15-0.25 raised search@5 0.966 -> 0.973 (task@5
    0.946 -> 0.957), 0.5 was neutral and 1.0 lost (0.953); full turns were unchanged up to 0.5.
    Letting a tool's similarity stand in for the server's when choosing lost task success
    (0.880 -> 0.848 at a 0.05 margin), so tools only rank."""

    text: float = 1.0
    semantic: float = 0.5
    name: float = 1.5
    tool: float = 0.25  # each server ranked by its best tool (catalog.tool_index)
    naming: bool = True  # put the servers a need names first


HYBRID = Weights()
DENSE_ONLY = Weights(text=0.0, semantic=1.0, name=0.0, tool=0.0, naming=False)
BM25_ONLY = Weights(text=1.0, semantic=0.0, name=0.0, tool=0.0, naming=False)


@dataclass
class ServerMatch:
    slug: str
    name: str
    description: str
    score: float
    why: str  # "vector", "text", "both", or "name" (named by the request, found by naming only)
    credentials: list[dict[str, Any]] = field(default_factory=list)
    query: str = ""  # the need that found it
    similarity: float | None = None
    requires: list[str] = field(default_factory=list)  # node, uv, docker, network, lib:...
    runnable: bool = True  # False: this host lacks ``missing`` (or verify found it broken)
    missing: list[str] = field(default_factory=list)
    why_not: str = ""  # for a person or the model, when not runnable
    named: str | None = None  # the words of the need that name this server
    topic: str | None = None  # a rare tag of this server the need mentions ("weather")
    best_tool: str | None = None  # its tool that fits the need best, when tools ranked it
    tool_similarity: float | None = None
    # how closely the need reads like one of this server's example requests (catalog.examples)
    example_similarity: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class PreparedSearch:
    """The needs of a request, their query vectors and the model of each vector, made before
    touching the database."""

    models: list[str]
    needs: list[str]
    vectors: list[list[float]]


def reader_for(embedder: Embedder, text: str) -> Embedder:
    """The embedder that reads ``text``: the multilingual model for a request in another
    language when ``embedder`` reads English only (catalog.embedders), else ``embedder``."""
    choices = readers(embedder)
    if len(choices) > 1 and not reads_as_english(text):
        return next(e for e in choices if isinstance(e, MultilingualEmbedder))
    return embedder


async def prepare_search(
    embedder: Embedder, queries: list[str] | str, *, split: bool = True
) -> PreparedSearch:
    """Split the queries into needs and embed them (no database connection needed, so a
    caller can embed first and hold a pooled connection only for the SQL). The queries taken
    together decide which model reads them (``reader_for``): they are one request's needs, and
    one need alone may be two words."""
    if isinstance(queries, str):
        queries = [queries]
    needs: list[str] = []
    for query in queries:
        for need in split_needs(query) if split else [normalise_request(query).strip()]:
            if need and need not in needs:
                needs.append(need)
    reader = reader_for(embedder, normalise_request(" ".join(queries)))
    vectors = await embed_queries(reader, needs) if needs else []
    await prepare_examples(reader)
    return PreparedSearch([reader.model_id] * len(needs), needs, vectors)


def _match(row: Any, need: str, host: frozenset[str] | None, model: str) -> ServerMatch:
    requires = list(row["requires"] or [])
    missing = [r for r in requires if host is not None and r not in host]
    why_not = ""
    if missing:
        why_not = f"needs {', '.join(missing)}, which this host does not have"
    elif not row["runnable"]:
        why_not = "its package did not start when the catalog was verified"
    return ServerMatch(
        row["slug"],
        row["name"],
        row["description"],
        float(row["score"]),
        row["why"],
        list(row["credentials"] or []),
        need,
        comparable_similarity(model, row["similarity"]),
        requires,
        bool(row["runnable"]) and not missing,
        missing,
        why_not,
        best_tool=row["best_tool"],
        tool_similarity=comparable_similarity(model, row["tool_similarity"]),
    )


@dataclass(frozen=True)
class _Scope:
    limit: int
    candidates: int
    weights: Weights
    host: frozenset[str] | None
    available: list[str] | None  # the SQL filter: None searches every server


async def _rank_need(
    conn: Any, need: str, vector: list[float], model: str, scope: _Scope
) -> list[ServerMatch]:
    literal, w = vector_literal(vector), scope.weights
    name_text = " ".join(strong_words(need))
    rows = await conn.fetch(
        _SEARCH_SQL,
        need,
        literal,
        model,
        scope.limit,
        scope.candidates,
        w.text,
        w.semantic,
        w.name,
        name_text,
        scope.available,
        w.tool,
    )
    ranking = [_match(r, need, scope.host, model) for r in rows]
    if not w.naming:
        return ranking
    named, topics = await named_in(conn, need)
    for match in ranking:
        match.named, match.topic = named.get(match.slug), topics.get(match.slug)
    missing = [slug for slug in named if slug not in {m.slug for m in ranking}]
    if missing:
        for r in await conn.fetch(_NAMED_SQL, missing, literal, model, scope.available):
            match = _match(r, need, scope.host, model)
            match.named = named[r["slug"]]
            ranking.append(match)
    # a server the need names comes first; the stable sort keeps the fused order otherwise
    ranking.sort(key=lambda m: m.named is None)
    ranking = ranking[: max(scope.limit, sum(m.named is not None for m in ranking))]
    return await _with_examples(conn, ranking, need, vector, model, scope)


async def _with_examples(
    conn: Any, ranking: list[ServerMatch], need: str, vector: list[float], model: str, scope: _Scope
) -> list[ServerMatch]:
    """Each server's ``example_similarity`` (catalog.examples), and the server whose examples
    read most like the need in the last place when the fused ranking missed it."""
    if (examples := example_index(model)) is None:
        return ranking
    scores = {s: comparable_similarity(model, v) or 0.0 for s, v in examples.best(vector).items()}
    if top := example_candidate(scores, {m.slug for m in ranking}):
        for r in await conn.fetch(
            _NAMED_SQL, [top], vector_literal(vector), model, scope.available
        ):
            unnamed = [i for i, m in enumerate(ranking) if m.named is None]
            if len(ranking) >= scope.limit and unnamed:
                ranking.pop(unnamed[-1])
            ranking.append(_match(r, need, scope.host, model))
    for match in ranking:
        match.example_similarity = scores.get(match.slug)
    return ranking


async def rank_needs(
    conn: Any,
    prepared: PreparedSearch,
    limit: int = 5,
    *,
    candidates: int = 40,
    weights: Weights = HYBRID,
    host: frozenset[str] | None = None,
    only_runnable: bool = True,
) -> list[list[ServerMatch]]:
    """One ranking per prepared need, each complete on its own: a server that is the best match
    of two needs appears in both (de-duplicating across needs gave the later one its runner-up).

    ``host`` is what this host can run (``catalog.runtimes``): with ``only_runnable`` the
    servers needing anything else are filtered out before the top ``limit`` are taken;
    without it every server is ranked and ``runnable``/``missing`` say which cannot run here.
    """
    available = sorted(host) if host is not None and only_runnable else None
    scope = _Scope(limit, candidates, weights, host, available)
    return [
        await _rank_need(conn, need, vector, model, scope)
        for need, vector, model in zip(
            prepared.needs, prepared.vectors, prepared.models, strict=True
        )
    ]


async def run_search(
    conn: Any,
    prepared: PreparedSearch,
    limit: int = 5,
    *,
    candidates: int = 40,
    weights: Weights = HYBRID,
    host: frozenset[str] | None = None,
    only_runnable: bool = True,
) -> list[ServerMatch]:
    """Run the hybrid SQL search for each prepared need and interleave the rankings."""
    rankings = await rank_needs(
        conn,
        prepared,
        limit,
        candidates=candidates,
        weights=weights,
        host=host,
        only_runnable=only_runnable,
    )
    return interleave(rankings, limit)


async def search_servers(
    conn: Any,
    embedder: Embedder,
    queries: list[str] | str,
    limit: int = 5,
    *,
    split: bool = True,
    candidates: int = 40,
    weights: Weights = HYBRID,
    host: frozenset[str] | None = None,
) -> list[ServerMatch]:
    """Search the catalog for one or several needs; return at most ``limit`` servers.

    Each query (and, with ``split``, each need found inside it) is searched on its own; the
    rankings are interleaved best-first and deduplicated, so "GitHub issues and post to Slack"
    returns both services rather than five GitHub servers. Same as ``prepare_search`` then
    ``run_search``; call those two when the connection should not wait on the embedder.
    """
    prepared = await prepare_search(embedder, queries, split=split)
    return await run_search(
        conn, prepared, limit, candidates=candidates, weights=weights, host=host
    )
