"""What the abuse defences cost: the shared rate-limit check per request, and how long the
embedded Postgres is down after its postmaster is killed (until the watchdog has it back).

    .venv/bin/python benchmarks/bench_abuse.py [--requests 2000] [--kills 3]

Runs on its own embedded Postgres in a temporary data dir.
"""

import argparse
import asyncio
import os
import shutil
import signal
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.config import Settings  # noqa: E402
from core.db.database import Database  # noqa: E402
from core.errors import AppError  # noqa: E402
from dynamic_mcp.middleware.ratelimit import PostgresRateLimiter  # noqa: E402


def _pct(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))] * 1000


async def _limiter(db: Database, requests: int) -> None:
    limiter = PostgresRateLimiter()
    samples = []
    for n in range(requests):
        keys = sorted([f"bench:user:{n % 50}", f"bench:ip:{uuid.uuid4().hex[:4]}"])
        started = time.perf_counter()
        await limiter.hit(db, keys, [10**9, 10**9])
        samples.append(time.perf_counter() - started)
    print(
        f"rate-limit check (2 keys, one round trip): p50 {_pct(samples, 50):.2f} ms, "
        f"p99 {_pct(samples, 99):.2f} ms over {requests} requests"
    )


async def _answers(db: Database) -> bool:
    try:
        async with db.service() as conn:
            return bool(await conn.fetchval("select 1", timeout=2))
    except AppError:
        return False


async def _kills(db: Database, kills: int, interval: float) -> None:
    assert db.embedded is not None and db.watchdog is not None
    downtimes = []
    for _ in range(kills):
        pid = db.embedded.pid
        assert pid is not None
        restarts = db.watchdog.restarts
        started = time.perf_counter()
        os.kill(pid, signal.SIGKILL)
        for _ in range(6000):  # at most ~2 min, then give up
            if db.watchdog.restarts > restarts and await _answers(db):
                break
            await asyncio.sleep(0.02)
        else:
            raise RuntimeError("the embedded Postgres did not come back")
        downtimes.append(time.perf_counter() - started)
    print(
        f"postmaster SIGKILL -> answering again (check every {interval:g} s): "
        f"median {statistics.median(downtimes):.2f} s, max {max(downtimes):.2f} s over {kills}"
    )


async def main(data_dir: Path, requests: int, kills: int, interval: float) -> None:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=data_dir / "data",
        log_level="WARNING",
        embedded_postgres_check_seconds=interval,
    )
    db = await Database.open(settings)
    try:
        await _limiter(db, requests)
        await _kills(db, kills, interval)
    finally:
        await db.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--kills", type=int, default=3)
    parser.add_argument("--interval", type=float, default=2.0, help="watchdog check interval (s)")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="dmcp-abuse-"))
    workdir.chmod(0o755)  # the embedded Postgres runs as its own user when we are root
    try:
        asyncio.run(main(workdir, args.requests, args.kills, args.interval))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
