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
    tokens,
    topic,
    topic_query,
)
from catalog.product_words import product_names, without_quotes

__all__ = ["named_in", "unknown_names"]

_NAMING_SQL = "select slug, name, tags, tag_servers from public.catalog_naming_candidates($1)"


# The person's conversation with this assistant ("in future chats", "every time we chat",
# "send it commands from a chat"), which is no chat platform's topic.
_THIS_CHAT = re.compile(
    r"\b(?:(?:future|next|later|other|new|every|this|a|our)\s+chats?|we\s+chat)\b", re.IGNORECASE
)


# Idioms whose words are a product's name ("cut me some slack" is no Slack).
_IDIOMS = re.compile(
    r"\bcut\s+(?:me|him|her|us|them|you)\s+some\s+slack\b|\b(?:pick|take)\w*\s+up\s+the\s+slack\b"
    r"|\bslack(?:ing|ed)?\s+off\b",
    re.IGNORECASE,
)


# A database engine named as the kind of a hosted service ("a small RDS Postgres", "one
# db.r6g.large RDS PostgreSQL", "Cloud SQL for MySQL") is that service's, not a server of its own
# to connect to.
_HOSTED_ENGINE = re.compile(
    r"\b(?P<host>RDS|Aurora|Cloud\s+SQL(?:\s+for)?|Azure\s+Database\s+for|Neon|Supabase|Heroku"
    r"|Crunchy\s+Bridge|Timescale|DigitalOcean\s+Managed)\s+(?:Postgres(?:QL)?|MySQL|MariaDB)\b",
    re.IGNORECASE,
)


def _without_hosted_engines(need: str) -> str:
    return _HOSTED_ENGINE.sub(lambda m: f"{m.group('host')} database", need)


def _own_common_words(name: str) -> set[str]:
    # a tag that is the server's own ordinary-word name ("fetch", "time") is its name, not a
    # topic: it must be capitalised like any such name
    words = name_words(name)
    return set(words) & common_words() if len(words) == 1 else set()


# A name with a case ending, in languages that inflect names ("w Dockerze", "w Kubernetesie",
# "do Notionu", "na GitHubie"): the stem is looked up as well, and read as the name when a
# server's name has it. Only these endings (Polish, Czech, Slovak and the like): with any
# ending "Todoist" would be read as "Todo" and "Controlla" as "Control".
_INFLECTED = re.compile(r"\b([A-Z][A-Za-z]{3,}?)(owi|iem|ach|ie|ze|em|om|u|a|e|y)\b")


def _stems(need: str) -> list[str]:
    # not only in requests that read as other languages: a clause of one ("Sprawdz w
    # Dockerze") may be too short to tell
    return [m.group(1) for m in _INFLECTED.finditer(need)]


def _uninflected(need: str, rows: list[Any]) -> str:
    known = {w for r in rows for w in name_words(r["name"])}

    def stem(m: re.Match[str]) -> str:
        return (
            m.group(1)
            if m.group(1).lower() in known and m.group().lower() not in known
            else m.group()
        )

    return _INFLECTED.sub(stem, need)


async def named_in(conn: Any, need: str) -> tuple[dict[str, str], dict[str, str]]:
    """(slug → words naming it, slug → topic tag) for this need."""
    stems = _stems(need)
    rows = await conn.fetch(_NAMING_SQL, " ".join([topic_query(need), *stems]))
    if stems:
        need = _uninflected(need, rows)
    servers = [(r["slug"], r["name"], list(r["tags"])) for r in rows]
    counts = {t: n for r in rows for t, n in zip(r["tags"], r["tag_servers"], strict=True)}
    rare = {t for t, n in counts.items() if n <= RARE_TAG_SERVERS}
    topic_tags = {t for t, n in counts.items() if n <= TOPIC_TAG_SERVERS}
    # a quoted title ('Pricing v3') is no topic, nor does it name a service ("the 'Pricing v3'
    # frame" is no AWS Pricing), nor does an engine named as a hosted service's kind
    text = _IDIOMS.sub(" ", _without_hosted_engines(without_quotes(need)))
    # ... nor is this conversation a topic ("in future chats")
    request = tokens(_THIS_CHAT.sub(" ", text))
    topics = {
        slug: found
        for slug, name, tags in servers
        if (found := topic(request, tags, topic_tags - _own_common_words(name)))
    }
    return named_systems(text, servers, rare), topics


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
