"""Which catalog servers a need names, looked up in the database: the few servers whose name,
tag or slug words occur in the need (one GIN lookup), judged by catalog.naming."""

import re
from typing import Any

from catalog.naming import (
    RARE_TAG_SERVERS,
    TOPIC_TAG_SERVERS,
    common_words,
    name_words,
    named_systems,
    product_names,
    tokens,
    topic,
    topic_query,
    without_quotes,
)

__all__ = ["named_in", "unknown_names"]

_NAMING_SQL = "select slug, name, tags, tag_servers from public.catalog_naming_candidates($1)"


# The person's conversation with this assistant ("in future chats", "every time we chat",
# "send it commands from a chat"), which is no chat platform's topic.
_THIS_CHAT = re.compile(
    r"\b(?:(?:future|next|later|other|new|every|this|a|our)\s+chats?|we\s+chat)\b", re.IGNORECASE
)


def _own_common_words(name: str) -> set[str]:
    # a tag that is the server's own ordinary-word name ("fetch", "time") is its name, not a
    # topic: it must be capitalised like any such name
    words = name_words(name)
    return set(words) & common_words() if len(words) == 1 else set()


async def named_in(conn: Any, need: str) -> tuple[dict[str, str], dict[str, str]]:
    """(slug → words naming it, slug → topic tag) for this need."""
    rows = await conn.fetch(_NAMING_SQL, topic_query(need))
    servers = [(r["slug"], r["name"], list(r["tags"])) for r in rows]
    counts = {t: n for r in rows for t, n in zip(r["tags"], r["tag_servers"], strict=True)}
    rare = {t for t, n in counts.items() if n <= RARE_TAG_SERVERS}
    topic_tags = {t for t, n in counts.items() if n <= TOPIC_TAG_SERVERS}
    # a quoted title ('Pricing v3') is no topic, nor is this conversation ("in future chats")
    request = tokens(_THIS_CHAT.sub(" ", without_quotes(need)))
    topics = {
        slug: found
        for slug, name, tags in servers
        if (found := topic(request, tags, topic_tags - _own_common_words(name)))
    }
    # nor does it name a service ("the 'Pricing v3' frame" is no AWS Pricing)
    return named_systems(without_quotes(need), servers, rare), topics


async def unknown_names(conn: Any, need: str) -> list[str]:
    """The product-like words of ``need`` ("my personal Todoist") that name no catalog server:
    the person uses a service the catalog lacks, so nothing should stand in for it."""
    words = product_names(need)
    if not words:
        return []
    rows = await conn.fetch(_NAMING_SQL, " ".join(words))
    known = {w for r in rows for w in (*name_words(r["name"]), *r["tags"], *r["slug"].split("-"))}
    known |= {r["slug"].replace("-", "") for r in rows}
    return [w for w in words if w not in known]
