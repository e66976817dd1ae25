"""Workflow requests end to end, as a user runs them: chat -> credentials -> "done" -> "start".

For each request in ``benchmarks/data/e2e_workflows.jsonl`` (written for this benchmark, gold
servers over the bundled catalog) a fresh user signs in, sends the request, submits every
requested credential through the form endpoint (the template's own example, a placeholder no
vendor would accept; a host path is a fresh folder, with a sample CSV report in it, or file
under a temporary shared folder, ``AGENT_SHARED_DIRS``), says "done", then "start". It counts a
request as a success when its agent ends ``running`` with the right servers: every gold group
covered, nothing outside the gold.
The app runs in-process on the embedded defaults (offline planner, local embeddings, agents in
their sandbox with the ``passthrough`` model, real npm/PyPI packages installed on first use).

Run: ``.venv/bin/python benchmarks/bench_workflows_e2e.py [--limit N] [--ca /etc/ssl/certs/...]``
"""

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from catalog.credential import Credential  # noqa: E402
from catalog.repository import fetch_entries  # noqa: E402
from core.db.database import Database  # noqa: E402
from dynamic_mcp.app import create_app  # noqa: E402
from tests.conftest import make_settings, sign_in_local  # noqa: E402

REQUESTS = ROOT / "benchmarks" / "data" / "e2e_workflows.jsonl"


def form_value(settings: Any, prefix: str, credential: Credential) -> str:
    """The template's example; for a host path, a fresh folder (with a CSV report in it) or
    file under the shared folder."""
    if credential.path is None:
        return credential.example or "placeholder-value"
    path = settings.agent_shared_dirs[0] / f"{prefix}-{credential.name.lower()}"
    if credential.path == "directory":
        path.mkdir()
        (path / "sales-2026-11.csv").write_text("month,region,revenue\n2026-11,north,1200\n")
    else:
        path.write_text("{}\n")
    return str(path)


async def one_request(
    api: httpx.AsyncClient, database: Database, settings: Any, n: int, item: dict[str, Any]
) -> dict[str, Any]:
    session = await sign_in_local(api, database, settings, f"e2e-{n}@example.test")
    headers = {"Authorization": f"Bearer {session['access_token']}"}

    async def say(text: str, session_id: str | None) -> dict[str, Any]:
        body = {"message": text, **({"session_id": session_id} if session_id else {})}
        reply = await api.post("/api/chat", json=body, headers=headers, timeout=600)
        reply.raise_for_status()
        data: dict[str, Any] = reply.json()
        return data

    first = await say(item["query"], None)
    session_id = str(first["session_id"])
    asked = [e for e in first["events"] if e.get("type") == "credentials_requested"]
    servers = [s for e in asked for s in e["servers"]]
    async with database.service() as conn:
        entries = await fetch_entries(conn, [s["server"] for s in servers]) if servers else {}
    for entry in entries.values():
        values = {
            c.name: form_value(settings, f"{n}-{entry.slug}", c)
            for c in entry.credentials
            if c.required and c.name != "OAUTH_ACCESS_TOKEN"
        }
        if values:
            await api.post(
                f"/api/sessions/{session_id}/credentials",
                json={"server": entry.slug, "values": values},
                headers=headers,
            )
    await say("done", session_id)
    started = time.monotonic()
    await say("start", session_id)
    seconds = time.monotonic() - started
    agents = (await api.get("/api/agents", headers=headers)).json()["items"]
    agent = agents[0] if agents else {}
    chosen = {s["slug"] for s in agent.get("servers", [])}
    gold = [set(group) for group in item["gold_groups"]]
    right = all(group & chosen for group in gold) and chosen <= set().union(*gold)
    return {
        "query": item["query"],
        "selected": sorted(s["server"] for s in servers),
        "agent_servers": sorted(chosen),
        "status": agent.get("status", "no agent"),
        "error": (agent.get("error") or "")[:200],
        "right_servers": right,
        "success": right and agent.get("status") == "running",
        "start_seconds": round(seconds, 1),
    }


async def main(limit: int | None, ca_bundle: str | None) -> None:
    items = [json.loads(line) for line in REQUESTS.read_text().splitlines() if line.strip()]
    items = items[:limit] if limit else items
    with tempfile.TemporaryDirectory(prefix="bench-e2e-") as tmp:
        shared = Path(tmp) / "agent-files"  # the folders users may give their agents
        shared.mkdir()
        settings = make_settings(
            Path(tmp) / "data",
            agent_shared_dirs=[shared],
            agent_model_override="passthrough",
            log_level="WARNING",
            rate_limit_chat_per_minute=0,
            agent_max_per_user=10,
            agent_ca_bundle=Path(ca_bundle) if ca_bundle else None,
        )
        database = await Database.open(settings)
        app = create_app(settings, database=database)
        results = []
        try:
            async with app.router.lifespan_context(app):
                transport = httpx.ASGITransport(app=app)
                async with httpx.AsyncClient(transport=transport, base_url="http://e2e") as api:
                    for n, item in enumerate(items):
                        result = await one_request(api, database, settings, n, item)
                        results.append(result)
                        print(json.dumps(result), flush=True)
                        await app.state.agent_supervisor.stop_all()  # one live agent at a time
        finally:
            await database.close()
    running = sum(r["status"] == "running" for r in results)
    right = sum(r["right_servers"] for r in results)
    success = sum(r["success"] for r in results)
    print(
        f"\n{len(results)} requests: running {running}, right servers {right}, "
        f"running with the right servers {success} ({success / len(results):.0%})"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument(
        "--ca", default=None, help="CA bundle for package installs (AGENT_CA_BUNDLE)"
    )
    args = parser.parse_args()
    asyncio.run(main(args.limit, args.ca))
