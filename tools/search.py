"""``search_mcp_servers``: find catalog servers for each capability a workflow needs."""

from __future__ import annotations

from typing import Any

from tools.registry import ToolContext, ToolError


def _server_view(server: Any) -> dict[str, Any]:
    data = server if isinstance(server, dict) else getattr(server, "__dict__", {})
    if hasattr(server, "model_dump"):
        data = server.model_dump()
    credentials = data.get("credentials") or []
    return {
        "slug": data.get("slug"),
        "name": data.get("name") or data.get("slug"),
        "description": data.get("description", ""),
        "score": round(float(data.get("score") or 0.0), 4),
        "why": data.get("why", ""),
        "credentials": [c.get("name") if isinstance(c, dict) else str(c) for c in credentials],
    }


def _per_query(queries: list[str], found: Any) -> list[dict[str, Any]]:
    """Normalise the catalog's answer to one entry per query, in the order asked."""
    if isinstance(found, dict):
        return [{"query": q, "servers": [_server_view(s) for s in found.get(q, [])]}
                for q in queries]
    found = list(found)
    if found and isinstance(found[0], dict) and "servers" in found[0]:
        return [{"query": item.get("query", q),
                 "servers": [_server_view(s) for s in item["servers"]]}
                for q, item in zip(queries, found, strict=False)]
    if found and isinstance(found[0], list | tuple):
        return [{"query": q, "servers": [_server_view(s) for s in servers]}
                for q, servers in zip(queries, found, strict=False)]
    return [{"query": " / ".join(queries), "servers": [_server_view(s) for s in found]}]


async def search_mcp_servers(ctx: ToolContext, queries: list[str], limit: int = 5) -> dict[str, Any]:
    """Search the MCP server catalog, one query per capability the workflow needs.

    Use one short query per external system or capability (for example
    ["GitHub issues", "post to Slack"]), not the whole request as one query. Results come per
    query, best first, each with the server's slug, what it does, a relevance score and the
    credentials it needs. Pick the best server for each capability from these results only.

    Args:
        queries: One short search phrase per capability (1 to 8 phrases).
        limit: How many servers to return per query (1 to 10).
    """
    queries = [q.strip() for q in queries if q.strip()]
    if not queries or len(queries) > 8:
        raise ToolError("Give between 1 and 8 non-empty queries, one per capability.")
    if not 1 <= limit <= 10:
        raise ToolError("limit must be between 1 and 10.")
    try:
        from catalog.search import search_servers
    except ImportError as exc:
        raise ToolError("The server catalog is not available yet; tell the user.") from exc
    async with ctx.db.as_user(ctx.user.claims) as conn:
        found = await search_servers(conn, ctx.embedder, queries, limit=limit)
    results = _per_query(queries, found)
    seen: dict[str, dict[str, Any]] = {}
    for item in results:
        for server in item["servers"]:
            seen.setdefault(server["slug"], server)
    ctx.emit({"type": "servers_found", "servers": list(seen.values())})
    tops = [f"{item['query']}: {item['servers'][0]['slug']}" for item in results if item["servers"]]
    summary = "; ".join(tops) or "no matching servers"
    return {"results": results, "summary": summary}
