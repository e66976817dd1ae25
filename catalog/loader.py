"""Load catalog files into Postgres: validate, embed what changed, upsert, retire what is gone."""

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from catalog.embedders import Embedder, readers
from catalog.models import CatalogEntry, CatalogError, parse_entry, read_entries
from catalog.server_vectors import plan_server_vectors, write_server_vectors
from catalog.tool_index import sync_tool_vectors
from catalog.verify_record import RECORD_DIR, apply_records, read_records

log = logging.getLogger(__name__)

BUNDLED_DIR = Path(__file__).parent / "servers"


@dataclass
class LoadReport:
    """What a load did. ``errors`` name the file and field of every rejected entry."""

    model: str
    valid: int = 0
    inserted: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0
    embedded: int = 0
    from_cache: int = 0
    tools_embedded: int = 0  # tool vectors written (catalog.tool_index)
    retired: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"{self.valid} valid entries: {len(self.inserted)} new, {len(self.updated)} updated, "
            f"{self.unchanged} unchanged, {self.embedded} embedded with {self.model} "
            f"({self.from_cache} from cache), {self.tools_embedded} tool vectors written, "
            f"{len(self.retired)} retired, {len(self.errors)} rejected"
        )


def catalog_sources(settings: Any) -> list[Path]:
    """The bundled catalog, then the operator's own folders (``CATALOG_DIRS``)."""
    return [BUNDLED_DIR, *settings.catalog_dirs]


def catalog_files(paths: list[Path] | None = None) -> list[Path]:
    """The ``.json``/``.jsonl`` files under the given paths (default: the bundled catalog)."""
    files: list[Path] = []
    for path in paths or [BUNDLED_DIR]:
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*") if p.suffix in (".json", ".jsonl")))
        else:
            files.append(path)
    return files


def validate_catalog(
    paths: list[Path] | None = None, records: Path | None = RECORD_DIR
) -> tuple[list[CatalogEntry], list[str], set[str]]:
    """Parse every entry and apply the verification record (``records``; None: none).
    Returns (valid entries, error messages, slugs named by bad entries)."""
    entries: dict[str, CatalogEntry] = {}
    errors: list[str] = []
    bad_slugs: set[str] = set()
    for path in catalog_files(paths):
        try:
            raw_entries = read_entries(path)
        except (OSError, ValueError) as exc:
            errors.append(f"{path}: cannot read: {exc}")
            continue
        for source, raw in raw_entries:
            try:
                entry = parse_entry(raw, source)
            except CatalogError as exc:
                errors.append(str(exc))
                if isinstance(raw, dict) and isinstance(raw.get("slug"), str):
                    bad_slugs.add(raw["slug"])
                continue
            if entry.slug in entries:
                errors.append(f"{source}: slug: '{entry.slug}' is already defined by another entry")
                continue
            entries[entry.slug] = entry
    valid = list(entries.values())
    if records is not None:
        valid = apply_records(valid, read_records(records))
    return valid, errors, bad_slugs


_UPSERT = """
insert into public.mcp_servers
  (slug, name, description, tags, categories, homepage, launch, credentials, tools, entry,
   content_hash, search_tags, search_tools, search_name, requires, archived, verify_status)
values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
on conflict (slug) do update set
  name = excluded.name, description = excluded.description, tags = excluded.tags,
  categories = excluded.categories, homepage = excluded.homepage, launch = excluded.launch,
  credentials = excluded.credentials, tools = excluded.tools, entry = excluded.entry,
  content_hash = excluded.content_hash, search_tags = excluded.search_tags,
  search_tools = excluded.search_tools, search_name = excluded.search_name,
  requires = excluded.requires, archived = excluded.archived,
  verify_status = excluded.verify_status, retired_at = null, updated_at = now()
returning id
"""


def _row(entry: CatalogEntry, content_hash: str) -> tuple[Any, ...]:
    data = entry.model_dump(mode="json", exclude_none=True)
    return (
        entry.slug,
        entry.name,
        entry.description,
        entry.tags,
        entry.categories,
        entry.homepage,
        data["launch"],
        data.get("credentials", []),
        data.get("tools", []),
        data,
        content_hash,
        entry.search_tags(),
        entry.search_tools(),
        entry.search_name(),
        entry.requires,
        entry.archived,
        entry.verification.status if entry.verification else None,
    )


async def upsert_entries(conn: Any, entries: list[CatalogEntry]) -> None:
    """Write entries as they are, without embedding them (operators' one-off servers, tests):
    full-text search finds them, vector search does not until the next ``load_catalog``."""
    for entry in entries:
        await conn.fetchval(_UPSERT, *_row(entry, entry.content_hash()))
    if entries:
        await conn.execute("select public.refresh_catalog_search_terms()")


async def load_catalog(
    db: Any,
    embedder: Embedder,
    paths: list[Path] | None = None,
    *,
    retire_missing: bool = True,
    use_cache: bool = True,
    records: Path | None = RECORD_DIR,
) -> LoadReport:
    """Validate, embed and upsert catalog entries (default: the bundled catalog).

    Incremental: an entry whose content hash is unchanged is neither rewritten nor
    re-embedded; an entry whose vector for ``embedder.model_id`` (or for another model that
    reads requests beside it, ``catalog.embedders.readers``) is missing or stale is embedded
    (from the precomputed cache when ``use_cache`` and the hash is in it). The report counts
    ``embedder``'s own vectors. With
    ``retire_missing``, live servers absent from the files are retired. ``records`` is the
    verification record applied to the entries (catalog.verify_record).
    """
    report = LoadReport(model=embedder.model_id)
    entries, report.errors, bad_slugs = validate_catalog(paths, records)
    report.valid = len(entries)
    for message in report.errors:
        log.warning("catalog entry rejected: %s", message)

    async with db.service() as conn:
        existing = {
            r["slug"]: r
            for r in await conn.fetch(
                "select id, slug, content_hash, retired_at from public.mcp_servers"
            )
        }

    hashes = {e.slug: e.content_hash() for e in entries}
    to_write = [
        e
        for e in entries
        if e.slug not in existing
        or existing[e.slug]["content_hash"] != hashes[e.slug]
        or existing[e.slug]["retired_at"] is not None
    ]
    # One set of vectors per model that reads requests (catalog.embedders.readers), embedded
    # before the write transaction opens; bundled entries have them precomputed.
    plans = [
        await plan_server_vectors(db, reader, entries, hashes, use_cache=use_cache)
        for reader in readers(embedder)
    ]

    async with db.service() as conn:
        ids = {slug: row["id"] for slug, row in existing.items()}
        for entry in to_write:
            ids[entry.slug] = await conn.fetchval(_UPSERT, *_row(entry, hashes[entry.slug]))
            (report.updated if entry.slug in existing else report.inserted).append(entry.slug)
        for plan in plans:
            await write_server_vectors(conn, plan, ids)
            tools = await sync_tool_vectors(conn, plan.embedder, entries, use_cache=use_cache)
            if plan.embedder is embedder:
                report.embedded, report.from_cache = len(plan.entries), plan.from_cache
                report.tools_embedded = tools
        report.unchanged = len(entries) - len(to_write)
        if retire_missing:
            keep = [e.slug for e in entries] + sorted(bad_slugs)
            rows = await conn.fetch(
                "update public.mcp_servers set retired_at = now(), updated_at = now()"
                " where retired_at is null and slug <> all($1::text[]) returning slug",
                keep,
            )
            report.retired = sorted(r["slug"] for r in rows)
        if to_write or report.retired:
            await conn.execute("select public.refresh_catalog_search_terms()")
    log.info("catalog load: %s", report.summary())
    return report


# Vectors of a model that reads requests for live servers, and for their tools when any server
# lists tools (a database from before the tool index has the first only: the next start adds
# the second).
_HAS_VECTORS = """
select exists (select 1 from public.mcp_server_embeddings e
                 join public.mcp_servers m on m.id = e.server_id
                where e.model = $1 and m.retired_at is null)
   and (exists (select 1 from public.mcp_tool_embeddings t
                  join public.mcp_servers m on m.id = t.server_id
                 where t.model = $1 and m.retired_at is null)
        or not exists (select 1 from public.mcp_servers m
                        where m.retired_at is null and jsonb_array_length(m.tools) > 0))
"""


async def ensure_catalog_loaded(db: Any, settings: Any) -> LoadReport | None:
    """Startup hook: load the bundled catalog (and ``CATALOG_DIRS``) when no live server has a
    vector of each model that reads requests (empty table, the embedder changed, or a database
    from before the multilingual model) or their tools have none
    (a database from before the tool index), or always when operator folders are configured
    (incremental: unchanged entries cost one hash comparison each). Returns None when nothing
    was needed."""
    from catalog.embedders import get_embedder

    embedder = get_embedder(settings)
    async with db.service() as conn:
        has_vectors = all(
            [await conn.fetchval(_HAS_VECTORS, r.model_id) for r in readers(embedder)]
        )
    if has_vectors and not settings.catalog_dirs:
        return None
    return await load_catalog(db, embedder, catalog_sources(settings))
