"""Reading catalog entries back from the database: the one query every other package uses."""

import json

import asyncpg

from catalog.models import CatalogEntry
from core.errors import AppError


class UnknownServerError(AppError):
    """Server slugs that are not in the (live) catalog."""

    def __init__(self, slugs: list[str]) -> None:
        message = f"Unknown server(s): {', '.join(slugs)}. Use slugs exactly as search returned."
        super().__init__(404, "unknown_servers", message, {"servers": sorted(slugs)})
        self.slugs = slugs


async def fetch_entries(conn: asyncpg.Connection, slugs: list[str]) -> dict[str, CatalogEntry]:
    """The live entries of ``slugs``, keyed and ordered as asked; UnknownServerError names any
    slug that is not in the catalog (or retired)."""
    wanted = list(dict.fromkeys(slugs))
    rows = await conn.fetch(
        "select slug, entry from public.mcp_servers"
        " where slug = any($1::text[]) and retired_at is null",
        wanted,
    )
    found = {row["slug"]: _entry(row["entry"]) for row in rows}
    unknown = [slug for slug in wanted if slug not in found]
    if unknown:
        raise UnknownServerError(unknown)
    return {slug: found[slug] for slug in wanted}


def _entry(raw: object) -> CatalogEntry:
    # jsonb arrives decoded on the pool's connections and as text on a bare connection
    return CatalogEntry.model_validate(json.loads(raw) if isinstance(raw, str) else raw)
