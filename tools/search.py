"""``search_mcp_servers``: find catalog servers for each capability a workflow needs."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from catalog.embedders import get_embedder
from catalog.runtimes import host_runtimes
from catalog.search import prepare_search, run_search
from tools.registry import ToolContext, ToolError


def _server_view(match: Any) -> dict[str, Any]:
    return {
        "slug": match.slug,
        "name": match.name,
        "description": match.description,
        "score": round(float(match.score), 4),
        "why": match.why,
        "similarity": None if match.similarity is None else round(float(match.similarity), 4),
        "credentials": [
            c.get("name") if isinstance(c, dict) else str(c) for c in match.credentials
        ],
        "runnable": match.runnable,
    }


def _left_out(match: Any) -> dict[str, Any]:
    return {"slug": match.slug, "name": match.name, "why_not": match.why_not}


async def search_mcp_servers(
    ctx: ToolContext,
    queries: Annotated[list[str], Field(min_length=1, max_length=8)],
    limit: Annotated[int, Field(ge=1, le=10)] = 5,
) -> dict[str, Any]:
    """Search the MCP server catalog, one query per capability the workflow needs.

    Use one short query per external system or capability (for example
    ["GitHub issues", "post messages to Slack"]), not the whole request as one query. Results
    come per query, best first, each with the server's slug, what it does, a relevance score and
    the names of the credentials it needs. Only servers that can run on this host are listed;
    ``not_runnable_here`` names matches left out because this host lacks what they need (for
    example Docker). Pick the best server for each capability from the listed results only; if
    nothing fits, search again with different words, and if only a server that cannot run here
    fits, tell the user so instead of picking it.

    Args:
        queries: One short search phrase per capability (1 to 8 phrases).
        limit: How many servers to return per query (1 to 10).
    """
    queries = list(dict.fromkeys(q.strip() for q in queries if q.strip()))
    if not queries:
        raise ToolError("Give at least one non-empty query, one per capability.")
    # Embed first: a pooled connection is held only for the SQL, never while the model runs.
    embedder = ctx.embedder or get_embedder(ctx.settings)
    prepared = await prepare_search(embedder, queries, split=False)
    host = host_runtimes(ctx.settings.host_runtimes).available
    async with ctx.db.as_user(ctx.user.claims) as conn:
        matches = await run_search(conn, prepared, limit * len(queries), host=host)
        # the same ranking unfiltered, to name what was left out for this host
        everything = await run_search(
            conn, prepared, limit * len(queries), host=host, only_runnable=False
        )
    results: list[dict[str, Any]] = []
    for q in queries:
        result: dict[str, Any] = {
            "query": q,
            "servers": [_server_view(m) for m in matches if m.query == q][:limit],
        }
        left_out = [_left_out(m) for m in everything if m.query == q and not m.runnable]
        if left_out:
            result["not_runnable_here"] = left_out[:limit]
        results.append(result)
    ui = [{**_server_view(m), "credentials": m.credentials} for m in matches]
    for server in ui:
        server.pop("similarity")
    ctx.emit({"type": "servers_found", "servers": ui})
    tops = [
        f"{r['query']}: {r['servers'][0]['slug'] if r['servers'] else 'no server runs here'}"
        for r in results
        if r["servers"] or r.get("not_runnable_here")
    ]
    return {"results": results, "summary": "; ".join(tops) or "no matching servers"}
