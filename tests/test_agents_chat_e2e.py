"""The whole product, offline: a plain-language request through POST /api/chat (offline planner)
finds a test MCP server and mcp-server-time in the catalog, asks for the credential, takes it
through the form, builds the config, starts a real fast-agent process (passthrough model), and
the agent's tool call reaches the MCP server carrying the user's credential."""

import json
import sys
import uuid
from pathlib import Path

import pytest

from agents.process import processes_in
from catalog.embedders import get_embedder
from catalog.loader import load_catalog

pytestmark = pytest.mark.timeout(300)

ECHO_SERVER = Path(__file__).resolve().parent / "mcp_servers" / "echo_env.py"
BIN = Path(sys.executable).parent
ECHO, CLOCK = "zephyr-echo-relay", "zephyr-clock"
TOKEN = "zephyr-credential-5c81f0"

ENTRIES = {
    ECHO: {
        "name": "Zephyr Echo Relay",
        "description": "Relays notes through the Zephyr echo relay and reads its environment.",
        "tags": ["zephyr", "echo", "relay"],
        "launch": {"transport": "stdio", "command": sys.executable, "args": [str(ECHO_SERVER)]},
        "credentials": [
            {
                "name": "ECHO_TOKEN",
                "description": "The Zephyr relay token.",
                "secret": True,
                "required": True,
                "kind": "env",
            }
        ],
        "tools": [
            {"name": "echo", "description": "Echo a note back."},
            {"name": "get_env", "description": "Read one environment variable."},
        ],
    },
    CLOCK: {
        "name": "Zephyr Clock",
        "description": "The Zephyr clock: current time in any timezone and timezone conversion.",
        "tags": ["zephyr", "clock", "time"],
        "launch": {
            "transport": "stdio",
            "command": str(BIN / "mcp-server-time"),
            "args": ["--local-timezone", "UTC"],
        },
        "credentials": [],
        "tools": [{"name": "get_current_time", "description": "Current time in a timezone."}],
    },
}


@pytest.fixture
async def zephyr_catalog(database, settings, tmp_path):
    paths = []
    for slug, entry in ENTRIES.items():
        path = tmp_path / f"{slug}.json"
        path.write_text(json.dumps({"slug": slug, **entry}))
        paths.append(path)
    report = await load_catalog(database, get_embedder(settings), paths, retire_missing=False)
    assert not report.errors, report.errors
    saved = settings.agent_model_override, settings.agent_start_timeout_seconds
    settings.agent_model_override = "passthrough"
    settings.agent_start_timeout_seconds = 180.0  # a busy 2-core CI machine starts slowly
    yield
    settings.agent_model_override, settings.agent_start_timeout_seconds = saved
    async with database.service() as conn:
        await conn.execute("delete from mcp_servers where slug = any($1::text[])", list(ENTRIES))


def _ui(body, kind):
    return [event for event in body["events"] if event["type"] == kind]


async def _chat(client, user, message, session_id=None):
    payload = {"message": message, **({"session_id": session_id} if session_id else {})}
    response = await client.post("/api/chat", headers=user.headers, json=payload)
    assert response.status_code == 200, response.text
    return response.json()


async def test_request_to_running_agent_through_chat(client, app, make_user, zephyr_catalog):
    user = await make_user()
    first = await _chat(
        client, user, "Relay my notes through the zephyr echo relay, and read the zephyr clock"
    )
    session_id = first["session_id"]
    found = {s["slug"] for event in _ui(first, "servers_found") for s in event["servers"]}
    assert {ECHO, CLOCK} <= found
    [request] = _ui(first, "credentials_requested")
    echo_status = next(s for s in request["servers"] if s["server"] == ECHO)
    assert [i["name"] for i in echo_status["items"] if not i["provided"]] == ["ECHO_TOKEN"]
    assert "ECHO_TOKEN" in first["reply"]

    stored = await client.post(
        f"/api/sessions/{session_id}/credentials",
        headers=user.headers,
        json={"server": ECHO, "values": {"ECHO_TOKEN": TOKEN}},
    )
    assert stored.status_code == 200 and stored.json()["complete"] is True

    built = await _chat(client, user, "done", session_id)
    [config] = _ui(built, "config_built")
    agent_id = config["agent_id"]
    files = (await client.get(f"/api/agents/{agent_id}/config", headers=user.headers)).json()
    assert TOKEN not in json.dumps(files)  # values only in what the owner asks to download

    started = await _chat(client, user, "start", session_id)
    [running] = _ui(started, "agent_started")
    assert running["status"] == "running"
    assert {f"{ECHO}__get_env", f"{CLOCK}__get_current_time"} <= set(running["tools"])
    try:
        call = f'***CALL_TOOL {ECHO}__get_env {{"name": "ECHO_TOKEN"}}'
        reply = await client.post(
            f"/api/agents/{agent_id}/messages",
            headers=user.headers,
            json={"message": call, "session_id": session_id},
        )
        assert reply.status_code == 200, reply.text
        assert TOKEN in reply.json()["reply"]
        clock = await client.post(
            f"/api/agents/{agent_id}/messages",
            headers=user.headers,
            json={"message": f'***CALL_TOOL {CLOCK}__get_current_time {{"timezone": "UTC"}}'},
        )
        assert "UTC" in clock.json()["reply"]
    finally:
        stopped = await client.post(f"/api/agents/{agent_id}/stop", headers=user.headers)
    assert stopped.json()["status"] == "stopped"
    agent_dir = app.state.agent_supervisor.agent_dir(str(uuid.UUID(agent_id)))
    assert processes_in(agent_dir) == []
    # the model never saw the credential: it is in no stored message
    messages = await client.get(
        f"/api/sessions/{session_id}/messages?limit=100", headers=user.headers
    )
    assert TOKEN not in messages.text
