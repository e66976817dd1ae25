"""Scheduled and manual runs end to end: PgQueuer on the test database, real fast-agent processes
(passthrough model) with real stdio MCP servers, two engine instances sharing one database.

One started agent (mcp-server-time and the issues server) is shared by the tests of this module;
they run in file order and each waits for the runs it caused.
"""

import asyncio
import json
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import pytest

from core.db.database import Database
from tests.catalog_helpers import install_servers
from tests.conftest import create_user, make_settings
from workflows import repository
from workflows.engine import WorkflowEngine
from workflows.polling import execute_poll
from workflows.runtime import handlers
from workflows.sweep import sweep

pytestmark = pytest.mark.timeout(300)

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
TIME, ECHO, ISSUES = "test-wf-time", "test-wf-echo", "test-wf-issues"
TOKYO_TIME = f'***CALL_TOOL {TIME}__get_current_time {{"timezone": "Asia/Tokyo"}}'


def _servers(issues_file: Path) -> dict[str, dict]:
    return {
        TIME: {
            "launch": {
                "transport": "stdio",
                "command": str(BIN / "mcp-server-time"),
                "args": ["--local-timezone", "UTC"],
            },
            "credentials": [],
        },
        ISSUES: {
            "launch": {
                "transport": "stdio",
                "command": sys.executable,
                "args": [str(HERE / "mcp_servers" / "issues.py"), str(issues_file)],
            },
            "credentials": [],
        },
        ECHO: {
            "launch": {
                "transport": "stdio",
                "command": sys.executable,
                "args": [str(HERE / "mcp_servers" / "echo_env.py")],
            },
            "credentials": [
                {
                    "name": "ECHO_TOKEN",
                    "description": "Token.",
                    "secret": True,
                    "required": True,
                    "kind": "env",
                }  # fmt: skip
            ],
        },
    }


@pytest.fixture(scope="module")
async def env(database, settings, app, tmp_path_factory):
    """Test servers in the catalog, the passthrough model, and alice's started agent."""
    import httpx

    issues_file = tmp_path_factory.mktemp("issues") / "issues.json"
    saved = (
        settings.agent_model_override,
        settings.agent_start_timeout_seconds,
        settings.agent_sandbox_paths,
    )
    settings.agent_model_override = "passthrough"
    settings.agent_start_timeout_seconds = 180.0  # a busy 2-core machine starts slowly
    # the issues server reads the file the test writes: visible (read-only) in the sandbox
    settings.agent_sandbox_paths = [*settings.agent_sandbox_paths, issues_file.parent]
    servers = _servers(issues_file)
    async with database.service() as conn:
        await install_servers(conn, *({"slug": slug, **e} for slug, e in servers.items()))
    alice = await create_user(database, settings)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as http:
        created = await http.post(
            "/api/agents",
            headers=alice.headers,
            json={"servers": [TIME, ISSUES], "name": "tokyo-clock", "instruction": "Tell time."},
        )
        assert created.status_code == 201, created.text
        agent_id = created.json()["agent"]["id"]
        started = await http.post(f"/api/agents/{agent_id}/start", headers=alice.headers)
        assert started.status_code == 200, started.text
    yield {
        "alice": alice,
        "agent_id": agent_id,
        "issues_file": issues_file,
        "supervisor": app.state.agent_supervisor,
    }
    (
        settings.agent_model_override,
        settings.agent_start_timeout_seconds,
        settings.agent_sandbox_paths,
    ) = saved
    await app.state.agent_supervisor.stop_agents()
    async with database.service() as conn:
        await conn.execute(
            "delete from public.mcp_servers where slug = any($1::text[])", [*servers]
        )


async def _finished(client, user, agent_id, run_id) -> dict:
    """The run once it has ended (the engine runs it in the background)."""
    for _ in range(600):
        got = await client.get(f"/api/agents/{agent_id}/runs/{run_id}", headers=user.headers)
        assert got.status_code == 200, got.text
        if got.json()["status"] in ("succeeded", "failed"):
            return got.json()
        await asyncio.sleep(0.2)
    raise AssertionError(f"run {run_id} did not finish")


async def _all_finished(database, agent_id) -> list[dict]:
    for _ in range(600):
        async with database.service() as conn:
            rows = await conn.fetch(
                "select * from agent_runs where agent_id = $1 order by scheduled_for",
                uuid.UUID(agent_id),
            )
        if all(r["status"] in ("succeeded", "failed") for r in rows):
            return [dict(r) for r in rows]
        await asyncio.sleep(0.2)
    raise AssertionError("runs did not finish")


async def _clear_runs(database, agent_id) -> None:
    async with database.service() as conn:
        await conn.execute("delete from agent_runs where agent_id = $1", uuid.UUID(agent_id))


async def test_schedule_from_words_in_the_users_zone(client, env) -> None:
    alice, agent_id = env["alice"], env["agent_id"]
    put = await client.put(
        f"/api/agents/{agent_id}/schedule",
        headers=alice.headers,
        json={"text": "Every morning at 8", "timezone": "Asia/Tokyo", "task": TOKYO_TIME},
    )
    assert put.status_code == 200, put.text
    body = put.json()
    assert (body["trigger"], body["cron"], body["timezone"]) == (
        "schedule",
        "0 8 * * *",
        "Asia/Tokyo",
    )
    assert body["description"] == "every day at 08:00 Asia/Tokyo"
    assert body["next_run"].endswith("08:00") and body["paused"] is False
    next_run = datetime.fromisoformat(body["next_run_at"])
    assert next_run > datetime.now(UTC) and next_run.astimezone(UTC).hour == 23  # 08:00 JST
    got = await client.get(f"/api/agents/{agent_id}/schedule", headers=alice.headers)
    assert got.json() == body


async def test_run_now_stores_the_agents_output(client, database, env) -> None:
    alice, agent_id = env["alice"], env["agent_id"]
    queued = await client.post(f"/api/agents/{agent_id}/runs", headers=alice.headers)
    assert queued.status_code == 202, queued.text
    assert (queued.json()["status"], queued.json()["trigger"]) == ("queued", "manual")
    run = await _finished(client, alice, agent_id, queued.json()["id"])
    assert run["status"] == "succeeded", run["error"]
    assert json.loads(run["output"])["timezone"] == "Asia/Tokyo"  # the real tool answered
    assert run["started_at"] <= run["finished_at"] and run["error"] is None
    page = await client.get(f"/api/agents/{agent_id}/runs", headers=alice.headers)
    assert [r["id"] for r in page.json()["runs"]] == [run["id"]]
    await _clear_runs(database, agent_id)


async def test_two_instances_run_each_due_time_exactly_once(
    app, database, settings, env, tmp_path
) -> None:
    agent_id = env["agent_id"]
    saved = (settings.workflow_lookahead_seconds, settings.workflow_on_time_seconds)
    settings.workflow_lookahead_seconds, settings.workflow_on_time_seconds = 1, 60
    other = await Database.open(make_settings(tmp_path, database_url=database.dsn), migrate=False)
    engines = [WorkflowEngine(database.dsn, settings), WorkflowEngine(database.dsn, settings)]
    supervisor = app.state.agent_supervisor  # the agent runs under the app's supervisor
    await engines[0].start(handlers(database, supervisor))
    await engines[1].start(handlers(other, supervisor))
    async with database.service() as conn:
        jobs_before = await conn.fetchval(
            "select count(*) from pgqueuer.pgqueuer_log where entrypoint = 'workflow_run'"
            " and status = 'queued'"
        )
        await repository.upsert_workflow(
            conn,
            agent_id,
            env["alice"].id,
            {"trigger": "schedule", "cron": None, "interval_seconds": 1, "task": TOKYO_TIME,
             "next_run_at": datetime.now(UTC), "paused": False},
        )  # fmt: skip
    try:
        for _ in range(6):  # both instances sweep at the same moments, as replicas would
            await asyncio.gather(sweep(database, settings), sweep(other, settings))
            await asyncio.sleep(0.5)
        async with database.service() as conn:
            await conn.execute(
                "update agent_workflows set paused = true, next_run_at = null where agent_id = $1",
                uuid.UUID(agent_id),
            )
        runs = await _all_finished(database, agent_id)
    finally:
        for engine in engines:
            await engine.stop()
        await other.close()
        settings.workflow_lookahead_seconds, settings.workflow_on_time_seconds = saved
    times = [r["scheduled_for"] for r in runs]
    assert len(runs) >= 3
    # One run per due time, with no due time skipped: consecutive, exactly one interval apart.
    assert all(b - a == timedelta(seconds=1) for a, b in zip(times, times[1:], strict=False))
    assert all(r["status"] == "succeeded" and r["output"] for r in runs), runs
    async with database.service() as conn:
        jobs_after = await conn.fetchval(
            "select count(*) from pgqueuer.pgqueuer_log where entrypoint = 'workflow_run'"
            " and status = 'queued'"
        )
    # One job queued per run (the engine's log records each enqueue synchronously); PgQueuer's
    # SKIP LOCKED dequeue hands each job to one instance, and a run is claimed only once.
    assert jobs_after - jobs_before == len(runs)
    await _clear_runs(database, agent_id)


async def test_missed_runs_after_a_restart_are_caught_up_once_or_skipped(
    database, settings, env
) -> None:
    agent_id, alice = env["agent_id"], env["alice"]
    now = datetime.now(UTC).replace(microsecond=0)
    hour = (now.hour + 12) % 24  # far from now: no due time is "on time" in this test
    down_since = now - timedelta(days=3)
    for policy, expected_runs in (("catch_up_once", 1), ("skip", 0)):
        async with database.service() as conn:
            await repository.upsert_workflow(
                conn,
                agent_id,
                alice.id,
                {"trigger": "schedule", "cron": f"0 {hour} * * *", "interval_seconds": None,
                 "timezone": "UTC", "next_run_at": down_since, "paused": False,
                 "task": TOKYO_TIME},
            )  # fmt: skip
        settings.workflow_missed_runs = policy
        try:
            await sweep(database, settings, now=now)
        finally:
            settings.workflow_missed_runs = "catch_up_once"
        runs = await _all_finished(database, agent_id)
        # this agent's runs only: the sweep's count also holds other tests' workflows that fall
        # due meanwhile, and the app's own engine sweeps once a minute too (it may have queued
        # the run first); one row per due time is the unique constraint's job
        assert len(runs) == expected_runs, (policy, runs)
        latest_missed = now.replace(minute=0, second=0, hour=hour)
        if latest_missed > now:
            latest_missed -= timedelta(days=1)
        if runs:
            assert runs[0]["scheduled_for"] == latest_missed and runs[0]["status"] == "succeeded"
        async with database.service() as conn:
            workflow = await repository.get_workflow(conn, agent_id)
        assert workflow["next_run_at"] == latest_missed + timedelta(days=1)
        await _clear_runs(database, agent_id)


async def test_pause_and_resume(client, database, settings, env) -> None:
    alice, agent_id = env["alice"], env["agent_id"]
    url = f"/api/agents/{agent_id}/schedule"
    put = await client.put(url, headers=alice.headers, json={"text": "every 2 hours"})
    assert put.json()["interval_seconds"] == 7200 and put.json()["next_run_at"]
    paused = await client.put(url, headers=alice.headers, json={"paused": True})
    assert paused.status_code == 200, paused.text
    assert paused.json()["paused"] is True and paused.json()["next_run_at"] is None
    assert "paused" in paused.json()["description"] or paused.json()["next_run"] is None
    far = datetime.now(UTC) + timedelta(days=30)
    async with database.service() as conn:  # paused: never due, whatever the time
        due = await repository.due_workflows(conn, far, 10_000)
    assert agent_id not in {str(w["agent_id"]) for w in due}
    resumed = await client.put(url, headers=alice.headers, json={"paused": False})
    body = resumed.json()
    assert body["paused"] is False
    assert datetime.fromisoformat(body["next_run_at"]) > datetime.now(UTC) + timedelta(hours=1)
    removed = await client.delete(url, headers=alice.headers)
    assert removed.status_code == 204
    after = await client.get(url, headers=alice.headers)
    assert after.json()["trigger"] == "on_demand" and after.json()["next_run_at"] is None


async def test_new_issues_found_by_polling_start_one_run_each_time(
    client, database, settings, env
) -> None:
    alice, agent_id, issues = env["alice"], env["agent_id"], env["issues_file"]
    issues.write_text(json.dumps([{"id": 1, "title": "old bug"}, {"id": 2, "title": "old idea"}]))
    put = await client.put(
        f"/api/agents/{agent_id}/schedule",
        headers=alice.headers,
        json={
            "event": {
                "description": "a new issue is opened",
                "check": f"***CALL_TOOL {ISSUES}__list_issues {{}}",
                "every_minutes": 5,
            },
            "task": "Summarise the new issues.",
        },
    )
    assert put.status_code == 200, put.text
    assert put.json()["description"] == "when a new issue is opened (checked every 5 min)"
    async with database.service() as conn:
        # The first check is due now, and the app's own engine sweeps once a minute: had it
        # polled between the test's two checks, it would have taken issue 3 (measured).
        await conn.execute(
            "update agent_workflows set next_run_at = null where agent_id = $1",
            uuid.UUID(agent_id),
        )
    due = datetime.now(UTC)
    assert (
        await execute_poll(database, env["supervisor"], agent_id, due) == 0
    )  # baseline: what exists
    issues.write_text(json.dumps([{"id": 1, "title": "old bug"}, {"id": 2, "title": "old idea"},
                                  {"id": 3, "title": "login fails"}]))  # fmt: skip
    assert (
        await execute_poll(database, env["supervisor"], agent_id, due + timedelta(minutes=5)) == 1
    )
    assert (
        await execute_poll(database, env["supervisor"], agent_id, due + timedelta(minutes=10)) == 0
    )
    runs = await _all_finished(database, agent_id)
    assert len(runs) == 1 and runs[0]["trigger"] == "event"
    items = runs[0]["event_items"]
    assert (json.loads(items) if isinstance(items, str) else items) == [
        {"id": 3, "title": "login fails"}
    ]
    assert "login fails" in runs[0]["output"] and "old bug" not in runs[0]["output"]
    await _clear_runs(database, agent_id)


async def test_a_run_whose_credential_was_deleted_fails_with_that_reason(
    client, database, settings, env
) -> None:
    user = await create_user(database, settings)
    async with database.as_user(user.claims) as conn:
        session_id = await conn.fetchval(
            "insert into sessions (user_id, title) values ($1, 'wf') returning id",
            uuid.UUID(user.id),
        )
    stored = await client.post(
        f"/api/sessions/{session_id}/credentials",
        headers=user.headers,
        json={"server": ECHO, "values": {"ECHO_TOKEN": "wf-token-93c1"}},
    )
    assert stored.status_code == 200, stored.text
    created = await client.post(
        "/api/agents",
        headers=user.headers,
        json={"servers": [ECHO], "name": "echo-digest", "instruction": "Echo."},
    )
    agent_id = created.json()["agent"]["id"]
    deleted = await client.delete(f"/api/credentials/{ECHO}/ECHO_TOKEN", headers=user.headers)
    assert deleted.status_code == 204
    queued = await client.post(f"/api/agents/{agent_id}/runs", headers=user.headers)
    run = await _finished(client, user, agent_id, queued.json()["id"])
    assert run["status"] == "failed"
    assert run["error"] == (f"Missing credentials: {ECHO}: ECHO_TOKEN. Add them, then run again.")
    assert "wf-token" not in json.dumps(run)


async def test_another_user_sees_and_changes_none_of_it(client, database, make_user, env) -> None:
    alice, agent_id = env["alice"], env["agent_id"]
    await client.put(
        f"/api/agents/{agent_id}/schedule",
        headers=alice.headers,
        json={"text": "every weekday at 8", "timezone": "Europe/Berlin", "task": TOKYO_TIME},
    )
    queued = await client.post(f"/api/agents/{agent_id}/runs", headers=alice.headers)
    run = await _finished(client, alice, agent_id, queued.json()["id"])
    bob = await make_user()
    base = f"/api/agents/{agent_id}"
    for method, path, body in (
        ("GET", "/schedule", None),
        ("PUT", "/schedule", {"text": "hourly"}),
        ("DELETE", "/schedule", None),
        ("POST", "/runs", None),
        ("GET", "/runs", None),
        ("GET", f"/runs/{run['id']}", None),
    ):
        answer = await client.request(method, base + path, headers=bob.headers, json=body)
        assert answer.status_code == 404, (method, path, answer.text)
        assert answer.json()["error"]["code"] == "not_found"
    async with database.as_user(bob.claims) as conn:  # as the `authenticated` role, RLS on
        for table in ("agent_workflows", "agent_runs", "workflow_seen_items"):
            assert await conn.fetchval(f"select count(*) from {table}") == 0, table
        changed = await conn.execute(
            "update agent_workflows set paused = true where agent_id = $1", uuid.UUID(agent_id)
        )
        assert changed == "UPDATE 0"
    with pytest.raises(asyncpg.exceptions.InsufficientPrivilegeError):
        async with database.as_user(bob.claims) as conn:
            await conn.execute(
                "insert into agent_runs (agent_id, user_id, trigger, scheduled_for)"
                " values ($1, $2, 'manual', now())",
                uuid.UUID(agent_id),
                uuid.UUID(bob.id),
            )
    with pytest.raises(asyncpg.exceptions.InsufficientPrivilegeError):
        async with database.as_user(bob.claims) as conn:
            await conn.execute(
                "insert into agent_workflows (agent_id, user_id, task) values ($1, $2, 'x')",
                uuid.UUID(agent_id),
                uuid.UUID(bob.id),
            )
    still = await client.get(f"{base}/schedule", headers=alice.headers)
    assert still.json()["cron"] == "0 8 * * 1-5" and still.json()["paused"] is False
    await _clear_runs(database, agent_id)
