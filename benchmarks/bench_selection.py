"""Selection accuracy and offline turn latency, in one run.

    .venv/bin/python benchmarks/bench_selection.py [tests/data/selection_test.jsonl] [--runs 30]

Works in a throwaway database on the embedded server (or on DATABASE_URL's server) loaded with
the bundled catalog, so the main catalog is untouched. Figures printed:

- search: group recall@5 and task success@5 of the product ranking, of a dense-only and of a
  BM25-only ranking, over the same requests and catalog;
- full turn (offline planner): precision, recall and task success of the servers the turn
  passes to request_credentials, per style too;
- latency: p50/p99 of one offline chat turn (search, selection, credentials check) for
  requests with 1, 3 and 8 needs.
"""

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from catalog.cli import score_modes  # noqa: E402
from catalog.embedders import get_embedder  # noqa: E402
from catalog.evaluation import isolated_database, load_queries  # noqa: E402
from catalog.loader import load_catalog  # noqa: E402
from core.config import get_settings  # noqa: E402
from core.db.database import Database  # noqa: E402
from dynamic_mcp.eval_cli import eval_user, run_eval, run_item  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
NEEDS = {
    1: "Post a message to Slack",
    3: "Summarise new GitHub issues, post the summary to Slack and save it in Notion",
    8: "Read GitHub issues, post to Slack, add a Notion page, create a Linear ticket, email the"
    " team through Gmail, check Sentry errors, query Postgres and store files in Amazon S3",
}


async def _latency(db: Database, settings: object, runs: int) -> dict[str, dict[str, float]]:
    from chat.service import ChatRuntime

    runtime = ChatRuntime.create(settings)  # type: ignore[arg-type]
    out = {}
    try:
        async with eval_user(db) as user:
            for needs, text in NEEDS.items():
                await run_item(runtime, db, user, {"query": text})  # warm-up
                times = []
                for _ in range(runs):
                    start = time.perf_counter()
                    await run_item(runtime, db, user, {"query": text})
                    times.append((time.perf_counter() - start) * 1000)
                out[f"{needs}_needs"] = {
                    "p50_ms": round(float(np.percentile(times, 50)), 1),
                    "p99_ms": round(float(np.percentile(times, 99)), 1),
                    "runs": runs,
                }
    finally:
        await runtime.model.aclose()
    return out


async def main(args: argparse.Namespace) -> None:
    settings = get_settings()
    queries = load_queries(Path(args.queries))
    db = await Database.open(settings)
    try:
        async with isolated_database(db, settings) as scratch:
            await load_catalog(scratch, get_embedder(settings))
            async with scratch.service() as conn:
                search = await score_modes(conn, get_embedder(settings), queries, 5, True)
            turns = await run_eval(scratch, settings, queries)
            latency = await _latency(scratch, settings, args.runs)
    finally:
        await db.close()
    report = {
        "queries": args.queries,
        "search_at_5": {
            mode: {
                "group_recall": round(r.group_recall, 3),
                "task_success": round(r.task_success, 3),
            }
            for mode, r in search.items()
        },
        "full_turn_offline": turns.summary(),
        "turn_latency_offline": latency,
    }
    if args.json:
        print(json.dumps({**report, "rows": turns.rows}, indent=2))
        return
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("queries", nargs="?", default=str(ROOT / "tests/data/selection_test.jsonl"))
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--json", action="store_true", help="also print every row")
    asyncio.run(main(parser.parse_args()))
