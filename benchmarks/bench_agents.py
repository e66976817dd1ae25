"""fast-agent agents: ready time and round trips with and without the sandbox, their footprint.

Runs the app in-process (embedded Postgres in a temporary data dir) with the test echo MCP server
and mcp-server-time, the ``passthrough`` model, and measures, in one run:

- start to ready (``POST /api/agents/{id}/start``), sandboxed (bubblewrap) and unsandboxed,
  alternating, and their ratio;
- a warm round trip: directly over the agent's A2A socket vs. ``POST /api/agents/{id}/messages``
  through the API (auth, RLS lookups, supervisor), sandboxed and unsandboxed;
- memory of one idle agent (PSS of its whole process tree) and its process count, then the
  process count after 20 conversations (chat sessions);
- with ``--install``: a real npm MCP server (``@modelcontextprotocol/server-memory``) started
  cold (package not installed: install time reported separately) and warm.

Run: ``.venv/bin/python benchmarks/bench_agents.py [--rounds 100] [--starts 3] [--install]``.
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

from agents import sandbox, service  # noqa: E402
from agents.process import descendants  # noqa: E402
from core.db.database import Database  # noqa: E402
from dynamic_mcp.app import create_app  # noqa: E402
from tests.catalog_helpers import install_servers  # noqa: E402
from tests.conftest import create_user, make_settings  # noqa: E402
from tests.test_agents_api import ECHO, TEST_SERVERS, TIME  # noqa: E402

MEMORY = "@modelcontextprotocol/server-memory@2026.8.31"


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def line(label: str, values: list[float]) -> str:
    ms = [v * 1000 for v in values]
    return (
        f"{label:<40} n={len(ms):<4} p50={pct(ms, 50):8.2f} ms  p99={pct(ms, 99):8.2f} ms"
        f"  mean={statistics.fmean(ms):8.2f} ms"
    )


def pss_mb(pids: list[int]) -> float:
    """Proportional set size of these processes (shared pages split between them)."""
    total = 0
    for pid in pids:
        try:
            text = Path(f"/proc/{pid}/smaps_rollup").read_text()
        except OSError:
            continue
        total += sum(int(ln.split()[1]) for ln in text.splitlines() if ln.startswith("Pss:"))
    return total / 1024


async def main(rounds: int, starts: int, install: bool) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-agents-") as tmp:
        settings = make_settings(
            Path(tmp),
            agent_model_override="passthrough",
            log_level="WARNING",
            rate_limit_chat_per_minute=1_000_000,
            agent_ca_bundle=Path("/etc/ssl/certs/ca-certificates.crt"),
        )
        database = await Database.open(settings)
        app = create_app(settings, database=database)
        try:
            async with app.router.lifespan_context(app):
                await run(app, database, settings, rounds, starts, install)
        finally:
            await database.close()


async def new_session(database, user) -> str:
    async with database.as_user(user.claims) as conn:
        return str(
            await conn.fetchval(
                "insert into sessions (user_id, title) values ($1, 'bench') returning id",
                uuid.UUID(user.id),
            )
        )


async def run(app, database, settings, rounds: int, starts: int, install: bool) -> None:
    servers = {**TEST_SERVERS}
    servers["bench-memory"] = {
        "launch": {"transport": "stdio", "command": "npx", "args": ["-y", MEMORY]},
        "credentials": [],
    }
    async with database.service() as conn:
        await install_servers(conn, *({"slug": slug, **e} for slug, e in servers.items()))
    supervisor = app.state.agent_supervisor
    sandboxed = supervisor.sandbox
    assert sandboxed.enabled, f"no sandbox here: {sandboxed.reason}"
    unsandboxed = sandbox.SandboxInfo("none", "benchmark")
    user = await create_user(database, settings)
    session_id = await new_session(database, user)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://api", timeout=300) as api:
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

        async def say(text: str, session: str) -> None:
            body = {"message": text, "session_id": session}
            reply = await api.post(f"/api/agents/{agent_id}/messages", headers=h, json=body)
            assert reply.status_code == 200, reply.text

        ready: dict[str, list[float]] = {"sandbox": [], "none": []}
        direct: dict[str, list[float]] = {"sandbox": [], "none": []}
        through: dict[str, list[float]] = {"sandbox": [], "none": []}
        for i in range(starts):
            for mode, info in (("sandbox", sandboxed), ("none", unsandboxed)):
                supervisor.sandbox = info
                t0 = time.perf_counter()
                (await api.post(f"/api/agents/{agent_id}/start", headers=h)).raise_for_status()
                ready[mode].append(time.perf_counter() - t0)
                agent = supervisor.get(agent_id)
                await say("warm up", session_id)
                for n in range(rounds if i == 0 else 0):
                    t0 = time.perf_counter()
                    await agent.client.send(f"ping {n}", session_id, 30)
                    direct[mode].append(time.perf_counter() - t0)
                    t0 = time.perf_counter()
                    await say(f"ping {n}", session_id)
                    through[mode].append(time.perf_counter() - t0)
                if i == 0 and mode == "sandbox":
                    tree = [agent.pid, *descendants(agent.pid)]
                    print(
                        f"idle agent (2 servers, 1 conversation): {len(tree)} processes,"
                        f" PSS {pss_mb(tree):.0f} MB"
                    )
                    for _ in range(20):
                        await say("hi", await new_session(database, user))
                    tree = [agent.pid, *descendants(agent.pid)]
                    print(
                        f"after 20 conversations (AGENT_MAX_CONVERSATIONS="
                        f"{settings.agent_max_conversations}): {len(tree)} processes,"
                        f" PSS {pss_mb(tree):.0f} MB"
                    )
                (await api.post(f"/api/agents/{agent_id}/stop", headers=h)).raise_for_status()
        supervisor.sandbox = sandboxed
        for mode in ("sandbox", "none"):
            print(line(f"start -> ready, {mode}", ready[mode]))
            print(line(f"round trip direct A2A, {mode}", direct[mode]))
            print(line(f"round trip through the API, {mode}", through[mode]))
        ratio = statistics.median(ready["sandbox"]) / statistics.median(ready["none"])
        trip = statistics.median(through["sandbox"]) / statistics.median(through["none"])
        print(f"sandbox / no sandbox: ready x{ratio:.2f}, round trip x{trip:.2f}")

        if install:
            r = await api.post(
                "/api/agents",
                headers=h,
                json={"servers": ["bench-memory"], "name": "mem", "instruction": "Remember."},
            )
            r.raise_for_status()
            mem_id = r.json()["agent"]["id"]
            for label in ("cold (not installed)", "warm (installed)", "warm (installed)"):
                events: list[dict] = []

                async def progress(event: dict, events: list[dict] = events) -> None:
                    events.append(event)

                t0 = time.perf_counter()
                await service.start_agent(database, supervisor, user, mem_id, progress)
                total = time.perf_counter() - t0
                installed = next(e for e in events if e["type"] == "installed")
                print(
                    f"npm server start, {label}: total {total:.2f} s,"
                    f" install step {installed['seconds']:.2f} s"
                    f" (fresh={installed['fresh']}), ready {total - installed['seconds']:.2f} s"
                )
                await service.stop_agent(database, supervisor, user, mem_id)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=100)
    parser.add_argument("--starts", type=int, default=3)
    parser.add_argument("--install", action="store_true")
    args = parser.parse_args()
    asyncio.run(main(args.rounds, args.starts, args.install))
