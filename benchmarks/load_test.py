"""Load: N simulated users, each several chat turns with tool calls, against the real service.

Starts the model fake (``load_model_server.py``, realistic latency) and the API server (uvicorn
subprocess, embedded Postgres in a fresh temporary data dir), then has every user sign in and
hold a conversation of ``--turns`` turns concurrently (half of them over SSE). Each turn is
three model calls and two tool calls (catalog search, credential check). Afterwards every
stored transcript is read back through ``GET /api/sessions/{id}/messages`` and checked: no
message lost or duplicated, every ``tool_use`` followed by its ``tool_result``.

Prints errors, lost/duplicated messages, turn latency and *server overhead* (turn latency minus
the time the model server spent answering that turn) p50/p99, and throughput.

    .venv/bin/python benchmarks/load_test.py                  # 50 users x 4 turns (documented run)
    .venv/bin/python benchmarks/load_test.py --users 5 --turns 2 --ttft 0.05   # quick
    ... --catalog   # load the bundled catalog first, so searches return real servers
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from auth.sign_in_links import create_link  # noqa: E402
from core.config import Settings  # noqa: E402
from core.db.database import Database  # noqa: E402
from tests.net import free_port, wait_until_ok  # noqa: E402

MESSAGES_PER_TURN = 6  # user, (assistant tool_use, user tool_result) x 2, assistant text
PROMPT = "Watch new GitHub issues and post each one to a Slack channel"


@dataclass
class Report:
    users: int
    turns: int
    errors: list[str] = field(default_factory=list)
    lost: int = 0
    duplicated: int = 0
    inconsistent: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    overheads: list[float] = field(default_factory=list)
    latency_of: dict[str, float] = field(default_factory=dict)  # turn marker -> seconds
    headers_of: dict[str, dict[str, str]] = field(default_factory=dict)  # session -> auth
    turns_done: int = 0
    requests: int = 0
    model_calls: int = 0
    wall_seconds: float = 0.0

    def summary(self) -> dict[str, Any]:
        def pct(samples: list[float], p: float) -> float | None:
            if not samples:
                return None
            ordered = sorted(samples)
            return round(
                ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))] * 1000, 1
            )

        return {
            "users": self.users,
            "turns_per_user": self.turns,
            "turns_completed": self.turns_done,
            "errors": len(self.errors),
            "lost_messages": self.lost,
            "duplicated_messages": self.duplicated,
            "inconsistent_sessions": len(self.inconsistent),
            "model_calls": self.model_calls,
            "http_requests": self.requests,
            "turn_latency_ms": {"p50": pct(self.latencies, 50), "p99": pct(self.latencies, 99)},
            "server_overhead_ms": {
                "p50": pct(self.overheads, 50),
                "p99": pct(self.overheads, 99),
                "mean": round(statistics.fmean(self.overheads) * 1000, 1)
                if self.overheads
                else None,
            },
            "throughput": {
                "turns_per_s": round(self.turns_done / self.wall_seconds, 2),
                "requests_per_s": round(self.requests / self.wall_seconds, 2),
            }
            if self.wall_seconds
            else None,
            "wall_seconds": round(self.wall_seconds, 2),
        }

    @property
    def ok(self) -> bool:
        return not (self.errors or self.lost or self.duplicated or self.inconsistent)


@contextmanager
def running_stack(
    ttft: float,
    chunk: float,
    catalog: bool = False,
    extra_env: dict[str, str] | None = None,
) -> Iterator[tuple[str, str, Settings]]:
    """Start the model fake and the API server; yield (api base URL, model URL, and the settings
    that reach the server's database, for the operator's sign-in links)."""
    workdir = Path(tempfile.mkdtemp(prefix="dmcp-load-"))
    workdir.chmod(0o755)  # the embedded Postgres runs as its own user when we are root
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SUPABASE_URL")}
    env.update({"PYTHONPATH": str(ROOT), "LOG_LEVEL": "WARNING", "ENVIRONMENT": "test"})
    # Every simulated user comes from this one address: per-address limits would measure
    # themselves, not the service (the per-account limits stay on).
    env.update({"RATE_LIMIT_IP_PER_MINUTE": "0", "RATE_LIMIT_AUTH_PER_MINUTE": "0"})
    model = subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            str(ROOT / "benchmarks" / "load_model_server.py"),
            "--ttft",
            str(ttft),
            "--chunk",
            str(chunk),
        ],
        stdout=subprocess.PIPE,
        env=env,
        cwd=workdir,
    )
    api: subprocess.Popen[bytes] | None = None
    try:
        assert model.stdout is not None
        model_url = model.stdout.readline().decode().strip()
        env.update(
            {
                "DATA_DIR": str(workdir / "data"),
                "ANTHROPIC_API_KEY": "load-test-dummy",
                "ANTHROPIC_BASE_URL": model_url,
                **(extra_env or {}),
            }
        )
        if catalog:
            subprocess.run(
                [sys.executable, "-m", "dynamic_mcp.cli", "catalog", "load"],  # noqa: S603
                env=env,
                cwd=workdir,
                check=True,
                stdout=subprocess.DEVNULL,
            )
        port = free_port()
        api = subprocess.Popen(  # noqa: S603
            [
                sys.executable,
                "-m",
                "uvicorn",
                "dynamic_mcp.app:create_app",
                "--factory",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--log-level",
                "warning",
                "--no-access-log",
            ],
            env=env,
            cwd=workdir,
        )
        base = f"http://127.0.0.1:{port}"
        wait_until_ok(f"{base}/readyz", api, None, 180)
        operator = Settings(
            _env_file=None,  # type: ignore[call-arg]
            data_dir=workdir / "data",
            database_url=env.get("DATABASE_URL") or None,
        )
        yield base, model_url, operator
    finally:
        for process in (api, model):
            if process is not None and process.poll() is None:
                process.terminate()
                try:
                    process.wait(30)
                except subprocess.TimeoutExpired:
                    process.kill()
        shutil.rmtree(workdir, ignore_errors=True)


async def _turn(
    client: httpx.AsyncClient, headers: dict[str, str], body: dict[str, Any], sse: bool
) -> tuple[int, dict[str, Any] | str]:
    """One POST /api/chat; returns (status, final JSON body or an error description)."""
    if not sse:
        response = await client.post("/api/chat", json=body, headers=headers)
        return (
            response.status_code,
            response.json() if response.status_code == 200 else response.text[:300],
        )
    done: dict[str, Any] | None = None
    event = ""
    async with client.stream(
        "POST", "/api/chat", json=body, headers={**headers, "Accept": "text/event-stream"}
    ) as response:
        if response.status_code != 200:
            return response.status_code, (await response.aread()).decode()[:300]
        async for line in response.aiter_lines():
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: ") and event in ("done", "error"):
                data = json.loads(line[6:])
                if event == "error":
                    return 200, f"SSE error event: {data}"
                done = data
    return (200, done) if done is not None else (200, "stream ended without a done event")


async def _sign_in_links(operator: Settings, users: int) -> list[str]:
    """One one-time sign-in link per simulated user (and the warm-up), made as the operator's
    ``dynamic-mcp sign-in-link`` makes them."""
    db = await Database.open(operator, migrate=False)
    try:
        return [await create_link(db, operator, f"load-{n}@example.test") for n in range(-1, users)]
    finally:
        await db.close()


async def _user(
    client: httpx.AsyncClient,
    n: int,
    turns: int,
    report: Report,
    sent: dict[str, list[str]],
    link: str,
) -> None:
    signed_in = await client.post("/api/auth/local", json={"token": link})
    report.requests += 1
    if signed_in.status_code != 200:
        report.errors.append(f"user {n} sign-in -> {signed_in.status_code}")
        return
    headers = {"Authorization": f"Bearer {signed_in.json()['access_token']}"}
    session_id: str | None = None
    for t in range(turns):
        marker = f"load u{n} t{t}: {PROMPT}"
        body: dict[str, Any] = {"message": marker}
        if session_id:
            body["session_id"] = session_id
        started = time.perf_counter()
        status, result = await _turn(client, headers, body, sse=n % 2 == 1)
        elapsed = time.perf_counter() - started
        report.requests += 1
        if status != 200 or not isinstance(result, dict):
            report.errors.append(f"user {n} turn {t} -> {status}: {result}")
            return
        session_id = str(result["session_id"])
        sent.setdefault(session_id, []).append(marker)
        report.latencies.append(elapsed)
        report.latency_of[marker] = elapsed
        report.headers_of[session_id] = headers
        report.turns_done += 1
        calls = result.get("tool_calls", [])
        if len(calls) != 2 or any(call["is_error"] for call in calls):
            seen = [(c["name"], c["is_error"], c["summary"]) for c in calls]
            report.errors.append(f"user {n} turn {t}: tool calls {seen}")


async def _stored(
    client: httpx.AsyncClient, session_id: str, headers: dict[str, str]
) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 100, **({"cursor": cursor} if cursor else {})}
        page = await client.get(
            f"/api/sessions/{session_id}/messages", params=params, headers=headers
        )
        page.raise_for_status()
        body = page.json()
        items += body["items"]
        cursor = body.get("next_cursor")
        if not cursor:
            return items


def check_transcript(items: list[dict[str, Any]], sent: list[str]) -> tuple[int, int, list[str]]:
    """(lost, duplicated, problems) for one stored session given the user messages sent."""
    problems: list[str] = []
    ids = [item["id"] for item in items]
    duplicated = len(ids) - len(set(ids))

    def blocks(item: dict[str, Any]) -> list[dict[str, Any]]:
        content = item["content"]
        return content if isinstance(content, list) else [{"type": "text", "text": content}]

    user_texts = [
        b["text"]
        for item in items
        if item["role"] == "user"
        for b in blocks(item)
        if b.get("type") == "text"
    ]
    lost = sum(1 for text in sent if text not in user_texts)
    duplicated += sum(max(0, user_texts.count(text) - 1) for text in sent)
    if user_texts != sent:
        problems.append(f"user messages out of order or unexpected: {user_texts[:3]}...")
    expected = MESSAGES_PER_TURN * len(sent)
    if len(items) != expected:
        problems.append(f"{len(items)} messages stored, expected {expected}")
        lost += max(0, expected - len(items) - lost)
    for index, item in enumerate(items):
        uses = sorted(b["id"] for b in blocks(item) if b.get("type") == "tool_use")
        if not uses:
            continue
        following = items[index + 1] if index + 1 < len(items) else None
        results = (
            sorted(b["tool_use_id"] for b in blocks(following) if b.get("type") == "tool_result")
            if following
            else []
        )
        if results != uses:
            problems.append(f"tool_use {uses} without matching tool_result")
    return lost, duplicated, problems


async def run_load(base: str, model_url: str, users: int, turns: int, operator: Settings) -> Report:
    """Run the simulated users against a running stack and verify every stored transcript."""
    report = Report(users, turns)
    links = await _sign_in_links(operator, users)
    sent: dict[str, list[str]] = {}
    limits = httpx.Limits(max_connections=users + 8, max_keepalive_connections=users + 8)
    async with httpx.AsyncClient(base_url=base, timeout=120, limits=limits) as client:
        # one turn first, unmeasured: the embedding model and the pools warm up once per process
        warmup = Report(1, 1)
        await _user(client, -1, 1, warmup, {}, links[0])
        report.errors += warmup.errors
        started = time.perf_counter()
        await asyncio.gather(
            *(_user(client, n, turns, report, sent, links[n + 1]) for n in range(users))
        )
        report.wall_seconds = time.perf_counter() - started
        for session_id, markers in sent.items():
            items = await _stored(client, session_id, report.headers_of[session_id])
            lost, duplicated, problems = check_transcript(items, markers)
            report.lost += lost
            report.duplicated += duplicated
            report.inconsistent += [f"{session_id}: {p}" for p in problems]
    async with httpx.AsyncClient(base_url=model_url, timeout=30) as model:
        stats = (await model.get("/stats")).json()
    report.model_calls = sum(stats["calls"].get(marker, 0) for marker in report.latency_of)
    report.overheads = [
        elapsed - stats["seconds"].get(marker, 0.0) for marker, elapsed in report.latency_of.items()
    ]
    return report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--turns", type=int, default=4)
    parser.add_argument("--ttft", type=float, default=0.5, help="model time to first token (s)")
    parser.add_argument("--chunk", type=float, default=0.02, help="model delay per SSE event (s)")
    parser.add_argument("--catalog", action="store_true", help="load the bundled catalog first")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with running_stack(args.ttft, args.chunk, args.catalog) as (base, model_url, operator):
        report = asyncio.run(run_load(base, model_url, args.users, args.turns, operator))
    summary = report.summary()
    if args.json:
        print(json.dumps(summary))
    else:
        for key, value in summary.items():
            print(f"{key:<24}{value}")
        for line in (report.errors + report.inconsistent)[:20]:
            print("  !", line)
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
