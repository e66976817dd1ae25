"""Search latency and HNSW recall.

    .venv/bin/python benchmarks/bench_search.py [--sizes 10000,100000] [--runs 200]

Works in a throwaway database on the embedded server (or on DATABASE_URL's server), so the
main catalog is untouched. Figures printed: p50/p99 latency of the hybrid SQL search alone
(query vector precomputed) and of the whole ``search_servers`` call (query embedding and
need splitting included) at the bundled size, then at each synthetic size: SQL-only latency
and recall@10 of the HNSW index against exact (brute force) cosine search.

Synthetic servers are bundled entries with perturbed vectors (so the clusters look like real
data) and descriptions built from the bundled vocabulary.
"""

# ruff: noqa: E501  (SQL and report lines read better unwrapped)

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from catalog.embedders import LocalEmbedder, vector_literal  # noqa: E402
from catalog.evaluation import isolated_database, load_queries  # noqa: E402
from catalog.loader import load_catalog  # noqa: E402
from catalog.search import search_servers, split_needs  # noqa: E402
from core.config import Settings  # noqa: E402
from core.db.database import Database  # noqa: E402

QUERIES = Path(__file__).resolve().parents[2] / "shared" / "reference" / "dev-queries.jsonl"
FALLBACK_QUERIES = [
    "summarise GitHub issues",
    "post to Slack",
    "query postgres",
    "web search news",
    "take screenshots of a website",
    "create an invoice",
    "weather forecast",
]
SQL = "select slug from public.search_mcp_servers($1, $2::extensions.vector, $3, 5)"


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(np.array(values), q))


def line(label: str, values_ms: list[float]) -> None:
    print(
        f"  {label:<44} p50 {pct(values_ms, 50):7.2f} ms   p99 {pct(values_ms, 99):7.2f} ms"
        f"   (n={len(values_ms)}, mean {statistics.fmean(values_ms):.2f})"
    )


async def sql_latency(
    db: Database, needs: list[str], vectors: list[str], model: str, runs: int
) -> list[float]:
    times = []
    async with db.service() as conn:
        for i in range(runs):
            k = i % len(needs)
            start = time.perf_counter()
            await conn.fetch(SQL, needs[k], vectors[k], model)
            times.append((time.perf_counter() - start) * 1000)
    return times


async def add_synthetic(db: Database, model: str, count: int, seed: int = 7) -> None:
    rng = np.random.default_rng(seed)
    async with db.service() as conn:
        base = await conn.fetch(
            "select m.name, m.description, e.embedding::text as v from mcp_server_embeddings e"
            " join mcp_servers m on m.id = e.server_id where e.model = $1",
            model,
        )
        have = await conn.fetchval("select count(*) from mcp_servers where slug like 'synthetic-%'")
        vectors = np.array(
            [[float(x) for x in r["v"].strip("[]").split(",")] for r in base], dtype=np.float32
        )
        words = " ".join(r["description"] for r in base).split()
        rows, vecs = [], []
        for i in range(have, count):
            j = int(rng.integers(len(base)))
            v = vectors[j] + rng.normal(0, 0.08, vectors.shape[1]).astype(np.float32)
            vecs.append(v / np.linalg.norm(v))
            desc = " ".join(random.Random(i).sample(words, 12))
            rows.append((f"synthetic-{i}", f"{base[j]['name']} variant {i}", desc))
        for start in range(0, len(rows), 2000):
            chunk = rows[start : start + 2000]
            ids = await conn.fetch(
                "insert into mcp_servers (slug, name, description, launch, entry, content_hash, search_name)"
                ' select s, n, d, \'{"transport":"stdio","command":"true"}\'::jsonb, \'{}\'::jsonb, \'x\', s'
                " from unnest($1::text[], $2::text[], $3::text[]) as t(s, n, d) returning id",
                [r[0] for r in chunk],
                [r[1] for r in chunk],
                [r[2] for r in chunk],
            )
            await conn.executemany(
                "insert into mcp_server_embeddings (server_id, model, dimensions, content_hash, embedding)"
                " values ($1, $2, 384, 'x', $3::extensions.vector)",
                [
                    (r["id"], model, vector_literal(v.tolist()))
                    for r, v in zip(ids, vecs[start : start + 2000], strict=True)
                ],
            )
        await conn.execute("select public.refresh_catalog_search_terms()")
        await conn.execute("analyze mcp_servers; analyze mcp_server_embeddings")


async def hnsw_recall(
    db: Database, model: str, query_vectors: list[list[float]], k: int = 10, show_plan: bool = True
) -> float:
    """Recall@k of the vector query as ``search_mcp_servers`` runs it (its settings: ef_search
    100, iterative scan, random_page_cost 1.1) against exact cosine search."""
    async with db.service() as conn:
        rows = await conn.fetch(
            "select server_id, embedding::text as v from mcp_server_embeddings where model = $1",
            model,
        )
        ids = np.array([r["server_id"] for r in rows])
        matrix = np.array(
            [[float(x) for x in r["v"].strip("[]").split(",")] for r in rows], dtype=np.float32
        )
        hits = total = 0
        await conn.execute(
            "set local hnsw.ef_search = 100; set local hnsw.iterative_scan = 'relaxed_order';"
            " set local random_page_cost = 1.1"
        )
        for q in query_vectors:
            exact = set(ids[np.argsort(-(matrix @ np.array(q, dtype=np.float32)))[:k]].tolist())
            found = await conn.fetch(
                "select server_id from mcp_server_embeddings where dimensions = 384 and model = $1"
                " order by embedding::extensions.vector(384) <=> $2::extensions.vector(384) limit $3",
                model,
                vector_literal(q),
                k,
            )
            hits += len(exact & {r["server_id"] for r in found})
            total += k
        plan = "\n".join(
            r[0]
            for r in await conn.fetch(
                "explain (format text) select server_id from mcp_server_embeddings where dimensions = 384 and model = $1"
                " order by embedding::extensions.vector(384) <=> $2::extensions.vector(384) limit 10",
                model,
                vector_literal(query_vectors[0]),
            )
        )
    uses = "HNSW index" if "hnsw" in plan else "exact scan (planner's choice at this size)"
    if show_plan:
        print(f"  vector search plan: {uses}")
    return hits / total


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--sizes", default="10000", help="synthetic catalog sizes, e.g. 10000,100000"
    )
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(_env_file=None, data_dir=Path(tmp), environment="test")  # type: ignore[call-arg]
        main_db = await Database.open(settings)
        try:
            async with isolated_database(main_db, settings) as db:
                print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
                embedder = LocalEmbedder()
                report = await load_catalog(db, embedder)
                queries = (
                    [q["query"] for q in load_queries(QUERIES)]
                    if QUERIES.exists()
                    else FALLBACK_QUERIES
                )
                needs = [n for q in queries for n in split_needs(q)]
                start = time.perf_counter()
                vectors = [vector_literal(v) for v in await embedder.embed(needs)]
                embed_ms = (time.perf_counter() - start) * 1000 / len(needs)
                print(
                    f"bundled catalog: {report.valid} servers, model {embedder.model_id}, {len(needs)} needs"
                )
                print(f"  query embedding alone: {embed_ms:.2f} ms per need (batched)")
                line(
                    "hybrid SQL search, embedding excluded",
                    await sql_latency(db, needs, vectors, embedder.model_id, args.runs),
                )
                times = []
                async with db.service() as conn:
                    for i in range(min(args.runs, 100)):
                        start = time.perf_counter()
                        await search_servers(conn, embedder, queries[i % len(queries)], limit=5)
                        times.append((time.perf_counter() - start) * 1000)
                line("search_servers(request), embedding included", times)
                raw = [[float(x) for x in v.strip("[]").split(",")] for v in vectors]
                print(
                    f"  HNSW recall@10 vs exact: {await hnsw_recall(db, embedder.model_id, raw[:50]):.3f}"
                )
                for size in (int(s) for s in args.sizes.split(",") if s):
                    start = time.perf_counter()
                    await add_synthetic(db, embedder.model_id, size)
                    print(
                        f"synthetic catalog: {size} servers (built in {time.perf_counter() - start:.1f} s)"
                    )
                    line(
                        "hybrid SQL search, embedding excluded",
                        await sql_latency(db, needs, vectors, embedder.model_id, args.runs),
                    )
                    print(
                        f"  HNSW recall@10 vs exact: {await hnsw_recall(db, embedder.model_id, raw[:50]):.3f}"
                    )
                    print(
                        f"  HNSW recall@40 (the candidates fused) vs exact: {await hnsw_recall(db, embedder.model_id, raw[:50], k=40, show_plan=False):.3f}"
                    )
        finally:
            await main_db.close()


if __name__ == "__main__":
    asyncio.run(main())
