"""Find the MCP servers a request needs: split it into needs, run the hybrid SQL search for
each, and interleave the per-need rankings so every need gets its best matches up front."""

import re
from dataclasses import asdict, dataclass, field
from typing import Any

from catalog.embedders import Embedder
from catalog.loader import vector_literal

# host_runtimes: what this host can run (catalog.runtimes); servers needing more are left out
# of the candidates in SQL. NULL searches everything (``runnable`` then says why not).
_SEARCH_SQL = """
select slug, name, description, score, why, credentials, similarity, requires, runnable
  from public.search_mcp_servers($1, $2::extensions.vector, $3, $4, $5, host_runtimes => $6)
"""

# Words that start a new need: "summarise X and post to Y", "do X, then Y", "X; Y".
_SPLIT = re.compile(
    r"\s*(?:[;.!?]+\s+|,\s*(?:and\s+|then\s+)?|\s+and\s+then\s+|\s+then\s+|\s+and\s+|\s+&\s+"
    r"|\s+(?:plus|also|after that|afterwards)\s+"
    r"|\s+(?:y|und|et|e|и)\s+"  # "and" in Spanish, German, French, Italian, Russian
    r"|\s+(?=(?:when|whenever|every time|each time|once|if)\s)"  # a trigger is its own need
    r"|\s+(?=(?:post|send|notify|save|store|write|add|create|file|open|page)\s))",
    re.IGNORECASE,
)
_STOPWORDS = frozenset(
    "a an the to in on of for from with by at into our my your their this that these those it its"
    " me us we i you them all every each any some new".split()
)


def split_needs(request: str) -> list[str]:
    """Split a workflow request into the separate needs it names.

    >>> split_needs("Summarise new GitHub issues and post the summary to Slack")
    ['Summarise new GitHub issues', 'post the summary to Slack']
    """
    needs: list[str] = []
    for part in (p.strip(" ,.;:!?") for p in _SPLIT.split(request.strip())):
        content = [w for w in re.findall(r"[\w.#+-]+", part.lower()) if w not in _STOPWORDS]
        if len(content) >= 2 or (content and not needs):
            needs.append(part)
        elif content:  # a fragment like "log in" belongs to the need before it
            needs[-1] = f"{needs[-1]}, {part}"
    return needs or [request.strip()]


@dataclass
class ServerMatch:
    slug: str
    name: str
    description: str
    score: float
    why: str  # "vector", "text" or "both"
    credentials: list[dict[str, Any]] = field(default_factory=list)
    query: str = ""  # the need that found it
    similarity: float | None = None
    requires: list[str] = field(default_factory=list)  # node, uv, docker, network, lib:...
    runnable: bool = True  # False: this host lacks ``missing`` (or verify found it broken)
    missing: list[str] = field(default_factory=list)
    why_not: str = ""  # for a person or the model, when not runnable

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class PreparedSearch:
    """The needs of a request and their query vectors, made before touching the database."""

    model: str
    needs: list[str]
    vectors: list[list[float]]


async def prepare_search(
    embedder: Embedder, queries: list[str] | str, *, split: bool = True
) -> PreparedSearch:
    """Split the queries into needs and embed them (no database connection needed, so a
    caller can embed first and hold a pooled connection only for the SQL)."""
    if isinstance(queries, str):
        queries = [queries]
    needs: list[str] = []
    for query in queries:
        for need in split_needs(query) if split else [query.strip()]:
            if need and need not in needs:
                needs.append(need)
    vectors = await embedder.embed(needs) if needs else []
    return PreparedSearch(embedder.model_id, needs, vectors)


async def run_search(
    conn: Any,
    prepared: PreparedSearch,
    limit: int = 5,
    *,
    candidates: int = 40,
    host: frozenset[str] | None = None,
    only_runnable: bool = True,
) -> list[ServerMatch]:
    """Run the hybrid SQL search for each prepared need and interleave the rankings.

    ``host`` is what this host can run (``catalog.runtimes``): with ``only_runnable`` the
    servers needing anything else are filtered out before the top ``limit`` are taken;
    without it every server is ranked and ``runnable``/``missing`` say which cannot run here.
    """
    available = sorted(host) if host is not None and only_runnable else None
    per_need: list[list[ServerMatch]] = []
    for need, vector in zip(prepared.needs, prepared.vectors, strict=True):
        rows = await conn.fetch(
            _SEARCH_SQL, need, vector_literal(vector), prepared.model, limit, candidates, available
        )
        per_need.append([_match(r, need, host) for r in rows])
    return interleave(per_need, limit)


def _match(row: Any, need: str, host: frozenset[str] | None) -> ServerMatch:
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
        row["similarity"],
        requires,
        bool(row["runnable"]) and not missing,
        missing,
        why_not,
    )


async def search_servers(
    conn: Any,
    embedder: Embedder,
    queries: list[str] | str,
    limit: int = 5,
    *,
    split: bool = True,
    candidates: int = 40,
    host: frozenset[str] | None = None,
) -> list[ServerMatch]:
    """Search the catalog for one or several needs; return at most ``limit`` servers.

    Each query (and, with ``split``, each need found inside it) is searched on its own; the
    rankings are interleaved best-first and deduplicated, so "GitHub issues and post to Slack"
    returns both services rather than five GitHub servers. Same as ``prepare_search`` then
    ``run_search``; call those two when the connection should not wait on the embedder.
    """
    prepared = await prepare_search(embedder, queries, split=split)
    return await run_search(conn, prepared, limit, candidates=candidates, host=host)


def interleave(rankings: list[list[ServerMatch]], limit: int) -> list[ServerMatch]:
    """Round-robin over the rankings, skipping servers already taken."""
    out: list[ServerMatch] = []
    seen: set[str] = set()
    depth = max((len(r) for r in rankings), default=0)
    for rank in range(depth):
        for ranking in rankings:
            if rank < len(ranking) and ranking[rank].slug not in seen:
                seen.add(ranking[rank].slug)
                out.append(ranking[rank])
                if len(out) == limit:
                    return out
    return out
