"""What the words and facts around one need say when choosing (orchestrator.selection): how
well a server fits it, whether a server already chosen does that step, whether files at a path
here need a filesystem server, whether the clause is a step on a system named before, whether
it asks for a product's documentation, whether it names a vendor's product none of its
servers has, and which of the servers that fit alike is preferred."""

from __future__ import annotations

import re
from typing import Any

from catalog.capabilities import LOCAL_FILES
from catalog.product_words import vendor_products

# A clause that names no service adds none when a server already chosen fits it (by its
# description or its best tool) within this much of the best candidate: it does that step.
# Dev split grid 0.05-0.15: task success 0.887 -> 0.896 at each (off: 0.887).
COVER_MARGIN = 0.10


def needs_file_server(
    queries: list[str],
    items: list[list[dict[str, Any]]],
    needs_of: list[list[str]],
    chosen: list[str],
) -> bool:
    """Whether files at a path here need a filesystem server: not when a tool run here with no
    account does what the clause naming the path asks (convert ~/a.docx: the converter; the
    repository at ~/code: git), as it reads the path itself; Cloudinary or Notion do not.
    ``needs_of`` holds each clause's capabilities (empty for the capability needs)."""
    local = {str(s["slug"]) for servers in items for s in servers if s.get("auth") == "none"}
    local_chosen = [slug for slug in chosen if slug in local]
    at_paths = [i for i, needs in enumerate(needs_of) if LOCAL_FILES in needs]
    for i in at_paths:
        # the clause's own candidates, and those of the capabilities it names ("the repository
        # at ~/code/shop" is a local git repository)
        named = [n for n in needs_of[i] if n != LOCAL_FILES and n in queries]
        related = [items[i], *(items[queries.index(n)] for n in named)]
        if not any(covered(servers, local_chosen) for servers in related):
            return True
    return not at_paths


_REFERS_BACK = re.compile(r"^\W*(?:\w+\s+){1,2}(?:its|their)\b", re.IGNORECASE)


def refers_back(need: str) -> bool:
    """Whether the clause's object is "its ..." or "their ...": a step on a system named before
    ("tail its logs for errors" after "our Heroku app"); "from their docs" later on is not."""
    return _REFERS_BACK.search(need) is not None


# A server for a product's documentation ("Docker Docs", "AWS Knowledge", "Shopify Dev"), and
# the words of a clause that asks for documentation rather than for work done in the product.
_DOCS_SERVER = re.compile(r"\b(?:docs|documentation|learn)\b|\b(?:dev|knowledge)$", re.IGNORECASE)
_ASKS_FOR_DOCS = re.compile(
    r"\b(?:docs?|documentation|how (?:do|to|can|should)|guides?|references?|tutorials?"
    r"|best practices?|examples?|schemas?|what does|explain)\b",
    re.IGNORECASE,
)


def without_docs_servers(group: list[dict[str, Any]], query: str) -> list[dict[str, Any]]:
    """The servers one word names, less those for its documentation unless the clause asks for
    documentation: "list my Docker containers" is work on Docker, not a search of its docs, and
    "our Shopify orders" are nothing Shopify's developer docs hold (no server, no stand-in)."""
    if not query or _ASKS_FOR_DOCS.search(query):
        return group
    return [s for s in group if not _DOCS_SERVER.search(str(s.get("name", "")))]


def lacks_vendor_product(query: str, servers: list[dict[str, Any]]) -> bool:
    """Whether the need names a vendor's product ("Microsoft Teams") that none of its servers
    mentions in its name or description (Google Drive mentions "Google Docs, Sheets")."""
    for product in vendor_products(query):
        stem = product[:-1] if product.endswith("s") else product
        if not any(
            stem in f"{s.get('name', '')} {s.get('description', '')}".lower() for s in servers
        ):
            return True
    return False


def similarity(server: dict[str, Any]) -> float:
    return float(server.get("similarity") or 0.0)


def example_similarity(server: dict[str, Any]) -> float:
    return float(server.get("example_similarity") or 0.0)


def reads_like_example(server: dict[str, Any], servers: list[dict[str, Any]], floor: float) -> bool:
    """Whether the need reads like ``server``'s example requests (catalog.examples) at least
    ``floor`` and no more like another candidate's."""
    score = example_similarity(server)
    others = [example_similarity(s) for s in servers if s is not server]
    return score >= floor and score >= max(others, default=0.0)


def fit(server: dict[str, Any]) -> float:
    """How well a server fits a need by its description or by its best tool."""
    return max(similarity(server), float(server.get("tool_similarity") or 0.0))


def covered(servers: list[dict[str, Any]], chosen: list[str]) -> bool:
    best = max((fit(s) for s in servers), default=0.0)
    return any(s["slug"] in chosen and fit(s) >= best - COVER_MARGIN for s in servers)


def server_text(server: dict[str, Any]) -> str:
    """A search result's own words: its name, description and slug."""
    return f"{server.get('name', '')} {server.get('description', '')} {server.get('slug', '')}"


def topics_found(servers: list[dict[str, Any]], slugs: list[str] | None = None) -> set[str]:
    """The topics these servers (or those of ``slugs`` among them) were found for."""
    return {
        str(s["topic"]) for s in servers if s.get("topic") and (slugs is None or s["slug"] in slugs)
    }


def topic_served(topics: set[str], slugs: list[str], topics_of: dict[str, set[str]]) -> bool:
    """Whether one of ``slugs`` was found, in some need, for one of ``topics``."""
    return any(topics_of.get(slug, set()) & topics for slug in slugs)


def matches(server: dict[str, Any], words: set[str]) -> bool:
    """Whether a server (as search results show it) is the one these words name:
    "GitHub" → github-official, "Jira" → atlassian (named by that word earlier), "email" →
    the server found for that topic."""
    own = {str(server.get("named") or "")} | set(str(server.get("named") or "").split())
    own |= set(str(server.get("name", "")).lower().split()) | set(str(server["slug"]).split("-"))
    # the topic it was found for: "drop the email part" removes the server found for email
    own |= set(str(server.get("topic") or "").split("-")) - {""}
    return bool(own & words)


def preference(server: dict[str, Any]) -> tuple[bool, bool, bool, bool, bool, float]:
    """Sort key, best last: runnable here, verified, not archived, official, credentials
    already held, then similarity to the need. A server that needs no credentials holds none:
    it does not win on that over one that fits better (the Neo4j Cypher server over Neo4j's
    data-modelling one for a query)."""
    return (
        server.get("runnable") is not False,
        bool(server.get("verified")),
        not server.get("archived"),
        bool(server.get("official")),
        bool(server.get("credentials_held")) and server.get("auth") != "none",
        similarity(server),
    )


def ready_to_use(server: dict[str, Any]) -> tuple[bool, bool, bool, bool, bool, bool, float]:
    """``preference`` with, after runnable and verified, "needs nothing from the person"."""
    runnable, verified, live, official, held, close = preference(server)
    return (runnable, verified, server.get("auth") == "none", live, official, held, close)
