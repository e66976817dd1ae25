"""The issue's "done when", offline: a scheduled request in chat becomes an agent with a schedule
in the person's time zone, confirmed in words; "run now" stores a run with the agent's output."""

import asyncio
import json
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.timeout(300)

BIN = Path(sys.executable).parent
REQUEST = "Every morning at 8, tell me the current time in Tokyo"


@pytest.fixture
async def local_time_server(database, settings):
    """The bundled `time` entry, launched from the test environment's own mcp-server-time."""
    local = {"transport": "stdio", "command": str(BIN / "mcp-server-time"), "args": []}
    async with database.service() as conn:
        saved = await conn.fetchrow("select launch, entry from mcp_servers where slug = 'time'")
        await conn.execute(
            "update mcp_servers set launch = $1, entry = entry || jsonb_build_object('launch', $1::jsonb)"
            " where slug = 'time'",
            local,
        )
    overrides = settings.agent_model_override, settings.agent_start_timeout_seconds
    settings.agent_model_override = "passthrough"
    settings.agent_start_timeout_seconds = 180.0
    yield
    settings.agent_model_override, settings.agent_start_timeout_seconds = overrides
    async with database.service() as conn:
        await conn.execute(
            "update mcp_servers set launch = $1, entry = $2 where slug = 'time'",
            saved["launch"],
            saved["entry"],
        )


async def test_scheduled_request_in_chat_to_a_stored_run(client, app, make_user, local_time_server):
    user = await make_user()
    answer = await client.post(
        "/api/chat",
        headers=user.headers,
        json={"message": REQUEST, "timezone": "Europe/Berlin"},
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    built = [e for e in body["events"] if e["type"] == "config_built"]
    assert [s["slug"] for s in built[0]["servers"]] == ["time"], body["events"]
    agent_id = built[0]["agent_id"]
    [workflow] = [e for e in body["events"] if e["type"] == "workflow_set"]
    assert workflow["schedule"]["cron"] == "0 8 * * *"
    assert workflow["schedule"]["timezone"] == "Europe/Berlin"
    assert "every day at 08:00 Europe/Berlin, next run " in body["reply"]
    assert workflow["schedule"]["next_run"] in body["reply"]

    schedule = (await client.get(f"/api/agents/{agent_id}/schedule", headers=user.headers)).json()
    assert schedule["task"] == "Tell me the current time in Tokyo"
    files = (await client.get(f"/api/agents/{agent_id}/config", headers=user.headers)).json()
    card = next(text for name, text in files["files"].items() if name.endswith(".md"))
    assert "When: every day at 08:00 Europe/Berlin." in card  # written from the steps
    assert "1. Do: Tell me the current time in Tokyo" in card

    queued = await client.post(f"/api/agents/{agent_id}/runs", headers=user.headers)
    assert queued.status_code == 202, queued.text
    run_url = f"/api/agents/{agent_id}/runs/{queued.json()['id']}"
    for _ in range(900):
        run = (await client.get(run_url, headers=user.headers)).json()
        if run["status"] in ("succeeded", "failed"):
            break
        await asyncio.sleep(0.2)
    assert run["status"] == "succeeded", run
    assert run["output"] == "Tell me the current time in Tokyo"  # the passthrough model's reply
    await client.post(f"/api/agents/{agent_id}/stop", headers=user.headers)
    history = await client.get(f"/api/agents/{agent_id}/runs", headers=user.headers)
    assert [r["id"] for r in history.json()["runs"]] == [run["id"]]
    assert json.dumps(history.json()).count(run["id"]) == 1
