"""Catalog load time: full (embedding everything), unchanged reload, one entry changed.

    .venv/bin/python benchmarks/bench_catalog_load.py

Runs in a throwaway database with the local embedder; prints wall-clock figures.
"""

# ruff: noqa: E501  (SQL and report lines read better unwrapped)

import asyncio
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from catalog.embedders import LocalEmbedder  # noqa: E402
from catalog.evaluation import isolated_database  # noqa: E402
from catalog.loader import BUNDLED_DIR, load_catalog  # noqa: E402
from core.config import Settings  # noqa: E402
from core.db.database import Database  # noqa: E402


class TimedEmbedder(LocalEmbedder):
    seconds = 0.0

    async def embed(self, texts: list[str]) -> list[list[float]]:
        start = time.perf_counter()
        try:
            return await super().embed(texts)
        finally:
            self.seconds += time.perf_counter() - start


async def timed(
    label: str, db: Database, embedder: TimedEmbedder, paths: list[Path], **options: bool
) -> None:
    embedder.seconds = 0.0
    start = time.perf_counter()
    report = await load_catalog(db, embedder, paths, **options)
    total = time.perf_counter() - start
    print(
        f"  {label:<26} {total:7.2f} s  (embedding {embedder.seconds:6.2f} s)  {report.summary()}"
    )


async def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "servers"
        shutil.copytree(BUNDLED_DIR, folder)
        settings = Settings(_env_file=None, data_dir=Path(tmp) / "data", environment="test")  # type: ignore[call-arg]
        main_db = await Database.open(settings)
        try:
            async with isolated_database(main_db, settings) as db:
                embedder = TimedEmbedder()
                # loading the model is start-up cost, not load cost
                await embedder.embed(["warm up the model"])
                print(
                    f"catalog load, {len(list(folder.glob('*.json')))} files, model {embedder.model_id},"
                    f" load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
                )
                await timed("full load, no vector cache", db, embedder, [folder], use_cache=False)
                async with db.service() as conn:
                    await conn.execute("delete from mcp_servers")
                await timed("full load, vector cache", db, embedder, [folder])
                await timed("unchanged reload", db, embedder, [folder])
                path = folder / "slack.json"
                data = json.loads(path.read_text())
                data["description"] += " Edited."
                path.write_text(json.dumps(data))
                await timed("one entry changed", db, embedder, [folder])
                path.unlink()
                await timed("one entry removed", db, embedder, [folder])
        finally:
            await main_db.close()


if __name__ == "__main__":
    asyncio.run(main())
