"""fast-agent agents: start-to-ready time and the API's overhead on a warm round trip.

Runs the app in-process (embedded Postgres in a temporary data dir) with the test echo MCP server
and mcp-server-time, the ``passthrough`` model, and measures:

- start to ready: ``POST /api/agents/{id}/start`` until the agent answers (process spawn, MCP
  servers connected, tools listed), several cold starts;
- a warm round trip: the same plain message to a warm conversation, directly over A2A to the
  agent's port vs. ``POST /api/agents/{id}/messages`` through the API (auth, RLS lookups,
  supervisor); the difference is the API's overhead (target: under 20 ms).

Run: ``.venv/bin/python benchmarks/bench_agents.py [--rounds 200] [--starts 3]``.
"""

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.db.database import Database  # noqa: E402
from dynamic_mcp.app import create_app  # noqa: E402
from tests.catalog_helpers import install_servers  # noqa: E402
from tests.conftest import create_user, make_settings  # noqa: E402
from tests.test_agents_api import ECHO, TEST_SERVERS, TIME  # noqa: E402


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def line(label: str, values: list[float]) -> str:
    ms = [v * 1000 for v in values]
    return (
        f"{label:<34} n={len(ms):<4} p50={pct(ms, 50):8.2f} ms  p99={pct(ms, 99):8.2f} ms"
        f"  mean={statistics.fmean(ms):8.2f} ms"
    )


async def main(rounds: int, starts: int) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-agents-") as tmp:
        settings = make_settings(
            Path(tmp),
            agent_model_override="passthrough",
            log_level="WARNING",
            rate_limit_chat_per_minute=1_000_000,
        )
        database = await Database.open(settings)
        app = create_app(settings, database=database)
        try:
            async with app.router.lifespan_context(app):
                await run(app, database, settings, rounds, starts)
        finally:
            await database.close()


async def run(app, database, settings, rounds: int, starts: int) -> None:
    async with database.service() as conn:
        await install_servers(conn, *({"slug": slug, **e} for slug, e in TEST_SERVERS.items()))
    user = await create_user(database, settings)
    async with database.as_user(user.claims) as conn:
        session_id = str(
            await conn.fetchval(
                "insert into sessions (user_id, title) values ($1, 'bench') returning id",
                uuid.UUID(user.id),
            )
        )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://api") as api:
        h = user.headers
        r = await api.post(
            f"/api/sessions/{session_id}/credentials",
            headers=h,
            json={"server": ECHO, "values": {"ECHO_TOKEN": "bench-token"}},
        )
        r.raise_for_status()
        r = await api.post(
            "/api/agents",
            headers=h,
            json={"servers": [ECHO, TIME], "name": "bench", "instruction": "Benchmark agent."},
        )
        r.raise_for_status()
        agent_id = r.json()["agent"]["id"]

        ready = []
        for i in range(starts):
            if i:
                (await api.post(f"/api/agents/{agent_id}/stop", headers=h)).raise_for_status()
            t0 = time.perf_counter()
            (await api.post(f"/api/agents/{agent_id}/start", headers=h)).raise_for_status()
            ready.append(time.perf_counter() - t0)

        t0 = time.perf_counter()
        first = await api.post(
            f"/api/agents/{agent_id}/messages",
            headers=h,
            json={"message": "warm up", "session_id": session_id},
        )
        first.raise_for_status()
        first_message = time.perf_counter() - t0

        port = app.state.agent_supervisor.get(agent_id).port
        direct_url = f"http://127.0.0.1:{port}/a2a/rest/message:send"
        direct, through = [], []
        async with httpx.AsyncClient() as raw:
            for i in range(rounds):
                body = {
                    "message": {
                        "messageId": uuid.uuid4().hex,
                        "contextId": session_id,
                        "role": "ROLE_USER",
                        "parts": [{"text": f"ping {i}"}],
                    }
                }
                t0 = time.perf_counter()
                (
                    await raw.post(direct_url, json=body, headers={"A2A-Version": "1.0"})
                ).raise_for_status()
                direct.append(time.perf_counter() - t0)
                t0 = time.perf_counter()
                reply = await api.post(
                    f"/api/agents/{agent_id}/messages",
                    headers=h,
                    json={"message": f"ping {i}", "session_id": session_id},
                )
                through.append(time.perf_counter() - t0)
                assert reply.status_code == 200 and reply.json()["reply"].endswith(f"ping {i}"), (
                    reply.text
                )
        t0 = time.perf_counter()
        tool = await api.post(
            f"/api/agents/{agent_id}/messages",
            headers=h,
            json={
                "message": f'***CALL_TOOL {TIME}__get_current_time {{"timezone": "UTC"}}',
                "session_id": session_id,
            },
        )
        tool_call = time.perf_counter() - t0
        assert "UTC" in tool.json()["reply"], tool.text
        await api.post(f"/api/agents/{agent_id}/stop", headers=h)

    print(line("start -> ready (2 stdio servers)", ready))
    print(line("first message of a new session", [first_message]))
    print(line("warm round trip, direct A2A", direct))
    print(line("warm round trip, through the API", through))
    overhead = [b - a for a, b in zip(direct, through, strict=True)]
    print(line("API overhead (paired difference)", overhead))
    print(line("warm tool call through the API", [tool_call]))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--starts", type=int, default=3)
    args = parser.parse_args()
    asyncio.run(main(args.rounds, args.starts))
