"""``dynamic-mcp catalog load|search|import|eval|verify``."""

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from catalog.embedders import get_embedder
from catalog.loader import BUNDLED_DIR, catalog_sources, load_catalog


def register(commands: Any) -> None:
    """Add the ``catalog`` command and its subcommands to the main parser."""
    catalog = commands.add_parser("catalog", help="the MCP server catalog")
    sub = catalog.add_subparsers(dest="catalog_command", required=True)

    load = sub.add_parser("load", help="validate, embed and upsert catalog entries")
    load.add_argument(
        "paths", nargs="*", type=Path, help="files or folders (default: bundled + CATALOG_DIRS)"
    )
    load.add_argument(
        "--keep-missing",
        action="store_true",
        help="do not retire servers absent from the given files",
    )
    load.add_argument("--json", action="store_true")
    load.set_defaults(handler=lambda a: asyncio.run(_load(a)))

    search = sub.add_parser("search", help="find servers for a request")
    search.add_argument("query")
    search.add_argument("--limit", type=int, default=5)
    search.add_argument("--json", action="store_true")
    search.set_defaults(handler=lambda a: asyncio.run(_search(a)))

    imp = sub.add_parser("import", help="convert server.json / server.yaml / mcpServers files")
    imp.add_argument("paths", nargs="+", type=Path)
    imp.add_argument(
        "--out",
        type=Path,
        default=Path("catalog-import"),
        help="folder to write <slug>.json files into (default: ./catalog-import)",
    )
    imp.set_defaults(handler=_import)

    ev = sub.add_parser("eval", help="group recall@k and task success@k on a query set")
    ev.add_argument("queries", type=Path)
    ev.add_argument(
        "--catalog",
        type=Path,
        nargs="*",
        default=None,
        help="evaluate this catalog in a throwaway database instead of the main one",
    )
    ev.add_argument("--k", type=int, default=5)
    ev.add_argument(
        "--baselines",
        action="store_true",
        help="also score dense-only and BM25-only ranking in the same run",
    )
    ev.add_argument("--json", action="store_true")
    ev.set_defaults(handler=lambda a: asyncio.run(_eval(a)))

    from catalog.verify_cli import register_verify

    register_verify(sub)


async def _open() -> tuple[Any, Any]:
    from core.config import get_settings
    from core.db.database import Database

    settings = get_settings()
    return settings, await Database.open(settings)


async def _load(args: argparse.Namespace) -> int:
    settings, db = await _open()
    try:
        report = await load_catalog(
            db,
            get_embedder(settings),
            args.paths or catalog_sources(settings),
            retire_missing=not args.keep_missing,
        )
    finally:
        await db.close()
    if args.json:
        print(json.dumps(report.__dict__, indent=2))
    else:
        for error in report.errors:
            print(f"rejected: {error}", file=sys.stderr)
        print(report.summary())
    return 1 if report.errors else 0


async def _search(args: argparse.Namespace) -> int:
    from catalog.search import search_servers

    settings, db = await _open()
    try:
        embedder = get_embedder(settings)
        async with db.service() as conn:
            matches = await search_servers(conn, embedder, args.query, limit=args.limit)
    finally:
        await db.close()
    if args.json:
        print(json.dumps([m.as_dict() for m in matches], indent=2))
        return 0
    for m in matches:
        needs = ", ".join(c["name"] for c in m.credentials if c.get("required")) or "no credentials"
        print(f"{m.score:.4f}  {m.slug:<32} {m.why:<6}  {m.name} ({needs})")
        print(f"        for: {m.query}")
    return 0


def _import(args: argparse.Namespace) -> int:
    from catalog.importers import import_file, write_entries

    failed = False
    for path in args.paths:
        entries, errors = import_file(path)
        for error in errors:
            print(f"skipped: {error}", file=sys.stderr)
        failed = failed or bool(errors and not entries)
        written = write_entries(entries, args.out)
        print(
            f"{path}: wrote {len(written)} entr{'y' if len(written) == 1 else 'ies'} to {args.out}"
        )
    return 1 if failed else 0


async def score_modes(
    conn: Any, embedder: Any, queries: list[dict[str, Any]], k: int, baselines: bool
) -> dict[str, Any]:
    """Search accuracy of the product ranking, and with ``baselines`` of dense-only and
    BM25-only ranking over the same queries and catalog."""
    from catalog.evaluation import evaluate
    from catalog.search import BM25_ONLY, DENSE_ONLY, HYBRID

    modes = {"hybrid": HYBRID}
    if baselines:
        modes |= {"dense_only": DENSE_ONLY, "bm25_only": BM25_ONLY}
    return {
        mode: await evaluate(conn, embedder, queries, k=k, weights=weights)
        for mode, weights in modes.items()
    }


async def eval_loaded(
    db: Any, settings: Any, queries: list[dict[str, Any]], k: int = 5, baselines: bool = False
) -> dict[str, Any]:
    """``catalog eval`` on the main database: as ``serve`` does, a data dir whose catalog was
    never loaded gets the bundled one first (instead of scoring an empty table)."""
    from catalog.loader import ensure_catalog_loaded

    if await ensure_catalog_loaded(db, settings) is not None:
        print("loaded the bundled catalog (none was loaded)", file=sys.stderr)
    async with db.service() as conn:
        return await score_modes(conn, get_embedder(settings), queries, k, baselines)


async def _eval(args: argparse.Namespace) -> int:
    from catalog.evaluation import isolated_database, load_queries

    queries = load_queries(args.queries)
    settings, db = await _open()
    embedder = get_embedder(settings)
    try:
        if args.catalog is not None:
            async with isolated_database(db, settings) as scratch:
                report = await load_catalog(scratch, embedder, args.catalog or [BUNDLED_DIR])
                async with scratch.service() as conn:
                    results = await score_modes(conn, embedder, queries, args.k, args.baselines)
            for error in report.errors:
                print(f"rejected: {error}", file=sys.stderr)
        else:
            results = await eval_loaded(db, settings, queries, args.k, args.baselines)
    finally:
        await db.close()
    if args.json:
        out = {mode: r.as_dict() for mode, r in results.items()}
        print(json.dumps({"model": embedder.model_id, **out.pop("hybrid"), **out}, indent=2))
        return 0
    for failure in results["hybrid"].failures:
        print(f"MISS {failure['missed']} <- {failure['query']}\n     found {failure['found']}")
    for mode, result in results.items():
        print(
            f"{mode}: model {embedder.model_id}, {result.tasks} tasks, k={result.k}: "
            f"group recall@{result.k} {result.group_recall:.3f}, "
            f"task success@{result.k} {result.task_success:.3f}"
        )
    return 0
