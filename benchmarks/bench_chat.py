"""Server overhead of a chat turn, against a zero-latency fake model server.

Starts three processes: the fake Anthropic Messages API (answers instantly), the API server
(uvicorn, embedded Postgres in a temporary data dir) and this load generator. Measures, at 1 and
32 concurrent clients:

- POST /api/chat (JSON): a whole turn — new session, user message stored, one streamed model
  call, assistant message stored, response;
- POST /api/chat with ``Accept: text/event-stream``: time to the first streamed byte;
- GET /bench/bare: a bare FastAPI endpoint doing one query in the user's RLS transaction,

and prints p50/p99 and the chat/bare ratio. Run: ``.venv/bin/python benchmarks/bench_chat.py``.
"""

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _serve_fake() -> None:
    from tests.fakes.anthropic_server import FakeAnthropic, text_reply

    fake = FakeAnthropic(default=text_reply("Here is a short answer from the model."))
    fake.start_in_thread()
    print(fake.url, flush=True)
    while True:
        time.sleep(3600)


def _bench_app() -> Any:
    """The real app plus one bare endpoint for the baseline."""
    from dynamic_mcp.api.deps import DB, CurrentUser
    from dynamic_mcp.app import create_app

    app = create_app()

    @app.get("/bench/bare")
    async def bare(user: CurrentUser, db: DB) -> dict[str, int]:
        async with db.as_user(user.claims) as conn:
            return {"sessions": await conn.fetchval("select count(*) from sessions")}

    return app


def _serve_app(port: int) -> None:
    import uvicorn

    uvicorn.run(_bench_app(), host="127.0.0.1", port=port, log_level="warning", access_log=False)


def _pct(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))] * 1000


async def _measure(
    client: httpx.AsyncClient, concurrency: int, total: int, request: Any
) -> list[float]:
    samples: list[float] = []
    remaining = total

    async def worker() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            started = time.perf_counter()
            first_byte_at = await request(client)
            samples.append((first_byte_at or time.perf_counter()) - started)

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return samples


async def _load(base: str, requests: int, link: str) -> None:
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as client:
        body = {"token": link.rsplit("sign-in=", 1)[1]}
        token = (await client.post("/api/auth/local", json=body)).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}

        async def chat(c: httpx.AsyncClient) -> None:
            r = await c.post(
                "/api/chat", json={"message": "Post GitHub issues to Slack"}, headers=headers
            )
            assert r.status_code == 200, r.text

        async def first_byte(c: httpx.AsyncClient) -> float | None:
            first = None
            async with c.stream(
                "POST",
                "/api/chat",
                json={"message": "hello"},
                headers={**headers, "Accept": "text/event-stream"},
            ) as r:
                async for _ in r.aiter_raw():
                    first = first or time.perf_counter()
            return first

        async def bare(c: httpx.AsyncClient) -> None:
            r = await c.get("/bench/bare", headers=headers)
            assert r.status_code == 200, r.text

        for request in (chat, bare, first_byte):  # warm up pools and caches
            await _measure(client, 4, 40, request)
        print(f"{'endpoint':<22}{'clients':>8}{'p50 ms':>10}{'p99 ms':>10}")
        results: dict[tuple[str, int], list[float]] = {}
        for concurrency in (1, 32):
            for name, request in (
                ("chat turn", chat),
                ("bare db endpoint", bare),
                ("chat first SSE byte", first_byte),
            ):
                samples = await _measure(client, concurrency, requests, request)
                results[(name, concurrency)] = samples
                print(
                    f"{name:<22}{concurrency:>8}{_pct(samples, 50):>10.1f}"
                    f"{_pct(samples, 99):>10.1f}"
                )
        for concurrency in (1, 32):
            chat_p50 = statistics.median(results[("chat turn", concurrency)])
            bare_p50 = statistics.median(results[("bare db endpoint", concurrency)])
            print(f"ratio chat/bare p50 at {concurrency} client(s): {chat_p50 / bare_p50:.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=400, help="requests per measurement")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--role", choices=["main", "fake", "app"], default="main")
    args = parser.parse_args()
    if args.role == "fake":
        return _serve_fake()
    if args.role == "app":
        return _serve_app(args.port)

    script = [sys.executable, __file__]
    fake = subprocess.Popen([*script, "--role", "fake"], stdout=subprocess.PIPE, text=True)
    assert fake.stdout is not None
    fake_url = fake.stdout.readline().strip()
    data_dir = tempfile.mkdtemp(prefix="dmcp-bench-")
    env = {
        **os.environ,
        "DATA_DIR": data_dir,
        "ANTHROPIC_API_KEY": "bench-key",
        "ANTHROPIC_BASE_URL": fake_url,
        "ANTHROPIC_MODEL": "claude-sonnet-4-6",
        "RATE_LIMIT_CHAT_PER_MINUTE": "100000000",
        "RATE_LIMIT_IP_PER_MINUTE": "0",  # one client address sends all the load
        "LOG_LEVEL": "WARNING",
        "DB_POOL_MAX": "20",
        "DATABASE_URL": "",
    }
    env.pop("DATABASE_URL")
    server = subprocess.Popen([*script, "--role", "app", "--port", str(args.port)], env=env)
    base = f"http://127.0.0.1:{args.port}"
    try:
        for _ in range(600):
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        # the operator's one-time sign-in link, as `dynamic-mcp sign-in-link` prints it
        link = subprocess.run(
            [sys.executable, "-m", "dynamic_mcp.cli", "sign-in-link", "--email", "bench@x.test"],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        asyncio.run(_load(base, args.requests, link))
    finally:
        server.terminate()
        server.wait(30)
        fake.terminate()
        fake.wait(10)
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
