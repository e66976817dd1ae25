"""``search_mcp_servers``: find catalog servers for each capability a workflow needs."""

from __future__ import annotations

import json
from typing import Annotated, Any

from pydantic import Field

from catalog.embedders import get_embedder
from catalog.models import CatalogEntry
from catalog.runtimes import host_runtimes
from catalog.search import prepare_search, rank_needs, unknown_names
from credentials import service
from tools.registry import ToolContext, ToolError

MAX_RESULT_CHARS = 16_000  # below the registry's cut, so the model always gets whole JSON
_MAIN_TOOLS = 8


def _auth_kind(entry: CatalogEntry) -> str:
    if entry.auth == "oauth":
        return "oauth"
    if any(c.required and c.secret for c in entry.credentials):
        return "token"
    return "none"


def _facts(entry: CatalogEntry, held: bool) -> dict[str, Any]:
    """What the model weighs when choosing between servers that fit (all from the catalog;
    ``verified``: ``dynamic-mcp catalog verify`` started it and listed its tools)."""
    text = f"{entry.name} {entry.slug} {entry.description}"
    return {
        "verified": entry.verification is not None and entry.verification.status == "started",
        "auth": _auth_kind(entry),
        "archived": entry.archived,
        "official": "official" in text.lower(),
        "credentials_held": held,
        "tools": [t.name for t in entry.tools[:_MAIN_TOOLS]],
    }


def _left_out(match: Any) -> dict[str, Any]:
    return {"slug": match.slug, "name": match.name, "named": match.named, "why_not": match.why_not}


def _top(ranking: list[Any], limit: int) -> list[Any]:
    """The first ``limit`` servers, and every server the query names even beyond that."""
    named = [m for m in ranking if m.named]
    return named + [m for m in ranking if not m.named][: max(0, limit - len(named))]


# How much of each result to keep, tried in order until it fits: (descriptions, main tools per
# server, servers per query beside the named ones, left-out servers per query).
_LEVELS = [
    (True, _MAIN_TOOLS, 10, 5),
    (False, _MAIN_TOOLS, 10, 5),
    (False, 3, 3, 2),
    (False, 0, 2, 1),
]


def _view(match: Any, facts: dict[str, Any], described: bool, tools: int = 8) -> dict[str, Any]:
    facts = {**facts, "tools": facts.get("tools", [])[:tools]}
    return {
        "slug": match.slug,
        "name": match.name,
        **({"description": match.description[:240]} if described else {}),
        "score": round(float(match.score), 4),
        "why": match.why,
        "similarity": None if match.similarity is None else round(float(match.similarity), 4),
        "named": match.named,
        "topic": match.topic,
        "matched_tool": match.best_tool,
        "tool_similarity": None
        if match.tool_similarity is None
        else round(float(match.tool_similarity), 4),
        "example_similarity": None
        if match.example_similarity is None
        else round(float(match.example_similarity), 4),
        "credentials": [
            c.get("name") if isinstance(c, dict) else str(c) for c in match.credentials
        ],
        "runnable": match.runnable,
        "runnable_reason": match.why_not or None,
        **facts,
    }


async def search_mcp_servers(
    ctx: ToolContext,
    queries: Annotated[list[str], Field(min_length=1, max_length=8)],
    limit: Annotated[int, Field(ge=1, le=10)] = 5,
) -> dict[str, Any]:
    """Search the MCP server catalog, one query per capability the workflow needs.

    Use one short query per external system or capability (for example
    ["GitHub issues", "post messages to Slack"]), not the whole request as one query; leave
    schedule words ("every Monday at 9am") out of the queries. Results come per query, best
    first. Each server has: slug; what it does; named (the words of your query that name this
    very service, or null); similarity; runnable (can run on this host; false with
    runnable_reason when not); verified (started and listed its tools); auth (token, oauth or
    none); archived; official; credentials_held (the user already stored what it needs); its
    main tools, and matched_tool (its tool that fits the query best, with tool_similarity) when
    its tools helped find it. Only servers that can run on this host are listed;
    ``not_runnable_here`` names matches left out because this host lacks what they need (for
    example Docker): if only such a server fits, tell the user so instead of picking it.
    ``not_in_catalog`` lists words of the query that look like a product the person uses but
    name no catalog server ("my Todoist"): say the catalog lacks it rather than pick a stand-in.
    Choose one server per capability: a server the query names beats a merely similar one;
    among servers that fit equally, prefer runnable, then verified, not archived, official, and
    credentials already held. Choose nothing for a capability no result fits, and nothing at
    all for a request that needs no external system.

    Args:
        queries: One short search phrase per capability (1 to 8 phrases).
        limit: How many servers to return per query (1 to 10).
    """
    queries = list(dict.fromkeys(q.strip()[:500] for q in queries if q.strip()))
    if not queries:
        raise ToolError("Give at least one non-empty query, one per capability.")
    # Embed first: a pooled connection is held only for the SQL, never while the model runs.
    embedder = ctx.embedder or get_embedder(ctx.settings)
    prepared = await prepare_search(embedder, queries, split=False)
    host = host_runtimes(ctx.settings.host_runtimes).available
    async with ctx.db.as_user(ctx.user.claims) as conn:
        rankings = [_top(r, limit) for r in await rank_needs(conn, prepared, limit, host=host)]
        # the same ranking unfiltered, to name what was left out for this host
        everything = await rank_needs(conn, prepared, limit, host=host, only_runnable=False)
        unknown = [await unknown_names(conn, need) for need in prepared.needs]
        slugs = list(dict.fromkeys(m.slug for r in rankings for m in r))
        # the entries and what the user holds, in the one catalog read
        statuses = await service.credential_status(conn, ctx.user.id, slugs) if slugs else []
    facts = {s.template.slug: _facts(s.template, s.complete) for s in statuses}
    result: dict[str, Any] = {}
    for described, tools, others, left in _LEVELS:  # less detail until the result fits
        results: list[dict[str, Any]] = []
        for q, r, every, lacking in zip(queries, rankings, everything, unknown, strict=True):
            kept = _top(r, min(limit, others))
            servers = [_view(m, facts.get(m.slug, {}), described, tools) for m in kept]
            item: dict[str, Any] = {"query": q, "servers": servers}
            if lacking:
                item["not_in_catalog"] = lacking
            if left_out := [_left_out(m) for m in every if not m.runnable][: min(limit, left)]:
                item["not_runnable_here"] = left_out
            results.append(item)
        tops = [
            f"{str(r['query'])[:80]}: "
            + (r["servers"][0]["slug"] if r["servers"] else "no server runs here")
            for r in results
            if r["servers"] or r.get("not_runnable_here")
        ]
        result = {"results": results, "summary": "; ".join(tops) or "no matching servers"}
        if len(json.dumps(result)) <= MAX_RESULT_CHARS:
            break
    seen: set[str] = set()
    ui = []
    for match in (m for r in rankings for m in r):
        if match.slug not in seen:
            seen.add(match.slug)
            ui.append({**_view(match, {}, True), "credentials": match.credentials})
    ctx.emit({"type": "servers_found", "servers": ui})
    return result
