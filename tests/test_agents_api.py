"""End to end: real fast-agent processes, real stdio MCP servers, the passthrough model, offline.

Spawning an agent costs ~3-4 s, so one agent per user is shared by the tests of this module
(they run in file order): alice's agent with the test echo server and mcp-server-time, bob's agent
with the echo server, and one agent whose server refuses to start.
"""

import asyncio
import io
import json
import os
import signal
import subprocess
import sys
import uuid
import zipfile
from pathlib import Path

import pytest
import yaml

from agents import service
from agents.process import processes_in
from tests.catalog_helpers import install_servers
from tests.tool_helpers import model_sees_error
from tools.agents import build_agent_config, create_fast_agent
from tools.registry import ToolContext

pytestmark = pytest.mark.timeout(300)

ECHO_SERVER = Path(__file__).resolve().parent / "mcp_servers" / "echo_env.py"
BIN = Path(sys.executable).parent
ECHO, TIME, BROKEN = "test-agents-echo", "test-agents-time", "test-agents-broken"
SLOW = "test-agents-slow"
TEST_SERVERS = {
    ECHO: {
        "launch": {"transport": "stdio", "command": sys.executable, "args": [str(ECHO_SERVER)]},
        "credentials": [
            {
                "name": "ECHO_TOKEN",
                "description": "A token the echo server reads.",
                "secret": True,
                "required": True,
                "kind": "env",
            }
        ],
    },
    TIME: {
        "launch": {
            "transport": "stdio",
            "command": str(BIN / "mcp-server-time"),
            "args": ["--local-timezone", "UTC"],
        },
        "credentials": [],
    },
    BROKEN: {
        "launch": {
            "transport": "stdio",
            "command": sys.executable,
            "args": [str(ECHO_SERVER), "--fail"],
        },
        "credentials": [],
    },
    SLOW: {
        "launch": {
            "transport": "stdio",
            "command": sys.executable,
            "args": [str(ECHO_SERVER), "--slow-start", "11"],
        },
        "credentials": [],
    },
}
ALICE_TOKEN, BOB_TOKEN = "alice-token-7f3a9c", "bob-token-41d2e8"


@pytest.fixture(scope="module")
async def agent_env(database, settings, app):
    """Test servers in the catalog; agents use the passthrough model; cleaned up afterwards."""
    saved = (
        settings.agent_model_override,
        settings.agent_message_timeout_seconds,
        settings.agent_max_per_user,
        settings.agent_start_timeout_seconds,
    )
    settings.agent_model_override = "passthrough"
    settings.agent_start_timeout_seconds = 180.0  # a busy 2-core CI machine starts slowly
    async with database.service() as conn:
        await install_servers(conn, *({"slug": slug, **e} for slug, e in TEST_SERVERS.items()))
    yield app.state.agent_supervisor
    (
        settings.agent_model_override,
        settings.agent_message_timeout_seconds,
        settings.agent_max_per_user,
        settings.agent_start_timeout_seconds,
    ) = saved
    await app.state.agent_supervisor.stop_agents()
    async with database.service() as conn:
        await conn.execute(
            "delete from public.mcp_servers where slug = any($1::text[])", list(TEST_SERVERS)
        )


async def _session(database, user) -> str:
    async with database.as_user(user.claims) as conn:
        return str(
            await conn.fetchval(
                "insert into sessions (user_id, title) values ($1, 'agent test') returning id",
                uuid.UUID(user.id),
            )
        )


async def _user_with_token(client, database, make_user, token: str):
    user = await make_user()
    session_id = await _session(database, user)
    stored = await client.post(
        f"/api/sessions/{session_id}/credentials",
        headers=user.headers,
        json={"server": ECHO, "values": {"ECHO_TOKEN": token}},
    )
    assert stored.status_code == 200, stored.text
    assert stored.json()["complete"] is True
    return user, session_id


@pytest.fixture(scope="module")
async def alice(agent_env, app, database, make_user_module):
    """Alice's started agent: {user, session_id, agent} (started through the HTTP API)."""
    import httpx

    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as client:
        user, session_id = await _user_with_token(client, database, make_user_module, ALICE_TOKEN)
        created = await client.post(
            "/api/agents",
            headers=user.headers,
            json={
                "servers": [ECHO, TIME],
                "name": "Alice Helper",
                "session_id": session_id,
                "instruction": "Answer with the tools.",
            },
        )
        assert created.status_code == 201, created.text
        agent_id = created.json()["agent"]["id"]
        started = await client.post(f"/api/agents/{agent_id}/start", headers=user.headers)
        assert started.status_code == 200, started.text
    return {
        "user": user,
        "session_id": session_id,
        "agent": started.json(),
        "supervisor": agent_env,
        "settings": app.state.settings,
    }


@pytest.fixture(scope="module")
def make_user_module(database, settings):
    from tests.conftest import create_user

    async def _make(email=None):
        return await create_user(database, settings, email)

    return _make


async def _new_agent(client, user, servers: list[str], name: str, instruction: str = "i") -> str:
    """Create an agent through the API (not started); its id."""
    created = await client.post(
        "/api/agents",
        headers=user.headers,
        json={"servers": servers, "name": name, "instruction": instruction},
    )
    return str(created.json()["agent"]["id"])


async def _say(client, user, agent_id, message, session_id=None):
    body = {"message": message, **({"session_id": session_id} if session_id else {})}
    return await client.post(f"/api/agents/{agent_id}/messages", headers=user.headers, json=body)


async def test_agent_reports_servers_and_tools(client, alice) -> None:
    agent = alice["agent"]
    assert agent["status"] == "running" and agent["error"] is None
    assert agent["name"] == "alice-helper"
    servers = {s["key"]: s for s in agent["servers"]}
    assert set(servers) == {ECHO, TIME}
    assert {"echo", "get_env", "sleep"} <= set(servers[ECHO]["tools"])
    assert set(servers[TIME]["tools"]) == {"get_current_time", "convert_time"}
    assert f"{TIME}__get_current_time" in agent["tools"]
    got = await client.get(f"/api/agents/{agent['id']}", headers=alice["user"].headers)
    assert got.json()["status"] == "running" and got.json()["tools"] == agent["tools"]
    listed = await client.get("/api/agents", headers=alice["user"].headers)
    assert [a["id"] for a in listed.json()["items"]] == [agent["id"]]


async def test_tool_calls_reach_real_mcp_servers_with_the_users_credential(client, alice) -> None:
    user, agent_id, session = alice["user"], alice["agent"]["id"], alice["session_id"]
    reply = await _say(
        client,
        user,
        agent_id,
        f'***CALL_TOOL {TIME}__get_current_time {{"timezone": "UTC"}}',
        session,
    )
    assert reply.status_code == 200, reply.text
    assert json.loads(reply.json()["reply"])["timezone"] == "UTC"
    reply = await _say(
        client, user, agent_id, f'***CALL_TOOL {ECHO}__get_env {{"name": "ECHO_TOKEN"}}', session
    )
    assert json.loads(reply.json()["reply"]) == {"result": ALICE_TOKEN}
    reply = await _say(client, user, agent_id, f"***CALL_TOOL {ECHO}__env_keys {{}}", session)
    keys = json.loads(reply.json()["reply"])["result"]
    assert "ECHO_TOKEN" in keys and not any("API_KEY" in k or "DATABASE" in k for k in keys)
    reply = await _say(client, user, agent_id, "plain text comes back", session)
    assert reply.json() == {"reply": "plain text comes back"}


async def test_secrets_in_agent_messages_never_reach_the_agent(client, database, alice) -> None:
    """The passthrough model answers with what the agent received: the reference, not the value."""
    from credentials import repository as credentials_repository

    user, agent_id, session = alice["user"], alice["agent"]["id"], alice["session_id"]
    token = "xoxb-1234567890-1234567890123-" + "Qw3Er5Ty7Ui9" * 2
    reply = await _say(client, user, agent_id, f"post with {token} please", session)
    assert reply.status_code == 200, reply.text
    assert reply.json() == {"reply": "post with [secret:1] please"}
    async with database.as_user(user.claims) as conn:  # kept for the session, as in the chat
        pending = await credentials_repository.fetch_pending_secrets(conn, user.id, session)
    assert set(pending) == {1}


async def test_config_download(client, alice) -> None:
    user, agent_id = alice["user"], alice["agent"]["id"]
    files = (await client.get(f"/api/agents/{agent_id}/config", headers=user.headers)).json()
    files = files["files"]
    assert set(files) == {"fast-agent.yaml", "agent-cards/alice-helper.md"}
    assert ALICE_TOKEN not in json.dumps(files)
    config = yaml.safe_load(files["fast-agent.yaml"])
    assert config["default_model"] == "anthropic.claude-sonnet-4-6"
    assert config["mcp"]["servers"][ECHO]["env"] == {"ECHO_TOKEN": "${TEST_AGENTS_ECHO_ECHO_TOKEN}"}
    with_secrets = await client.get(
        f"/api/agents/{agent_id}/config?include_secrets=true", headers=user.headers
    )
    secrets = yaml.safe_load(with_secrets.json()["files"]["fast-agent.secrets.yaml"])
    assert with_secrets.headers["cache-control"] == "no-store"  # the secrets stay uncached
    assert secrets == {"mcp": {"servers": {ECHO: {"env": {"ECHO_TOKEN": ALICE_TOKEN}}}}}
    archive = await client.get(f"/api/agents/{agent_id}/config?format=zip", headers=user.headers)
    assert archive.headers["content-type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(archive.content)).namelist()
    assert sorted(names) == ["agent-cards/alice-helper.md", "fast-agent.yaml"]
    # the agent's own directory holds no secret: values only live in the process env
    directory = alice["supervisor"].agent_dir(agent_id)
    assert oct(directory.stat().st_mode & 0o777) == "0o700"
    for path in directory.rglob("*"):
        if path.is_file():
            assert ALICE_TOKEN not in path.read_text(errors="replace"), path
    assert not (directory / "fast-agent.secrets.yaml").exists()


async def test_other_users_see_nothing_and_their_agent_has_their_own_credential(
    client, database, alice, make_user
) -> None:
    bob, bob_session = await _user_with_token(client, database, make_user, BOB_TOKEN)
    alice_agent = alice["agent"]["id"]
    for method, path in [
        ("get", ""),
        ("post", "/start"),
        ("post", "/stop"),
        ("get", "/config"),
        ("get", "/config?include_secrets=true"),
    ]:
        response = await client.request(
            method.upper(), f"/api/agents/{alice_agent}{path}", headers=bob.headers
        )
        assert response.status_code == 404, (path, response.text)
    assert (await _say(client, bob, alice_agent, "hi")).status_code == 404
    assert (await client.get("/api/agents", headers=bob.headers)).json()["items"] == []

    # bob builds and starts his agent through the model's tools
    events = []
    ctx = ToolContext(
        user=bob,
        session_id=bob_session,
        db=database,
        settings=alice["settings"],
        emit=events.append,
        agents=alice["supervisor"],
    )
    built = await build_agent_config(
        ctx, name="bob agent", servers=[ECHO], instruction="Echo things."
    )
    started = await create_fast_agent(ctx, agent_id=built["agent_id"])
    assert started["status"] == "running"
    assert [e["type"] for e in events] == ["config_built", "agent_started"]
    reply = await _say(
        client,
        bob,
        built["agent_id"],
        f'***CALL_TOOL {ECHO}__get_env {{"name": "ECHO_TOKEN"}}',
        bob_session,
    )
    assert json.loads(reply.json()["reply"]) == {"result": BOB_TOKEN}
    # alice's agent still sees only alice's token
    reply = await _say(
        client,
        alice["user"],
        alice_agent,
        f'***CALL_TOOL {ECHO}__get_env {{"name": "ECHO_TOKEN"}}',
        alice["session_id"],
    )
    assert json.loads(reply.json()["reply"]) == {"result": ALICE_TOKEN}
    alice["bob"] = {"user": bob, "agent_id": built["agent_id"], "session_id": bob_session}


async def test_tools_report_problems_to_the_model(client, database, make_user, alice) -> None:
    user = await make_user()
    ctx = ToolContext(
        user=user,
        session_id=await _session(database, user),
        db=database,
        settings=alice["settings"],
        agents=alice["supervisor"],
    )
    build = "build_agent_config"
    assert "ECHO_TOKEN" in await model_sees_error(  # credential not stored yet
        ctx, build, name="x", servers=[ECHO], instruction="i"
    )
    assert "Unknown server" in await model_sees_error(
        ctx, build, name="x", servers=["no-such-server"], instruction="i"
    )
    missing = await model_sees_error(ctx, "create_fast_agent", agent_id=str(uuid.uuid4()))
    assert "not found" in missing


async def test_invalid_requests_are_refused(client, alice) -> None:
    user = alice["user"]
    response = await client.post(
        "/api/agents",
        headers=user.headers,
        json={"servers": [ECHO, ECHO], "name": "dup", "instruction": "i"},
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "duplicate_servers"
    response = await client.post(
        "/api/agents",
        headers=user.headers,
        json={"servers": [TIME], "name": "../../etc", "instruction": "i"},
    )
    assert response.status_code == 400
    assert "Invalid agent name" in response.json()["error"]["message"]
    assert (await client.get("/api/agents/not-a-uuid", headers=user.headers)).status_code == 404


async def test_limit_of_running_agents_per_user(client, alice, settings) -> None:
    user = alice["user"]
    agent_id = await _new_agent(client, user, [TIME], "second", "Tell the time.")
    saved, settings.agent_max_per_user = settings.agent_max_per_user, 1
    try:
        response = await client.post(f"/api/agents/{agent_id}/start", headers=user.headers)
    finally:
        settings.agent_max_per_user = saved
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "agent_limit"


async def test_message_timeout_is_reported_and_agent_keeps_working(
    client, database, alice, settings
) -> None:
    user, agent_id = alice["user"], alice["agent"]["id"]
    slow_session = await _session(database, user)
    saved, settings.agent_message_timeout_seconds = settings.agent_message_timeout_seconds, 1.0
    try:
        reply = await _say(
            client, user, agent_id, f'***CALL_TOOL {ECHO}__sleep {{"seconds": 4}}', slow_session
        )
    finally:
        settings.agent_message_timeout_seconds = saved
    assert reply.status_code == 504
    assert reply.json()["error"]["code"] == "agent_timeout"
    reply = await _say(client, user, agent_id, "still here", alice["session_id"])
    assert reply.json() == {"reply": "still here"}
    assert (await client.get(f"/api/agents/{agent_id}", headers=user.headers)).json()[
        "status"
    ] == "running"


async def test_server_that_fails_to_start_gives_a_clear_status(client, alice) -> None:
    user = alice["user"]
    agent_id = await _new_agent(client, user, [BROKEN], "broken")
    response = await client.post(f"/api/agents/{agent_id}/start", headers=user.headers)
    assert response.status_code == 502
    error = response.json()["error"]
    assert error["code"] == "agent_start_failed"
    assert f"MCP Server: '{BROKEN}': Failed to initialize" in error["message"]
    agent = (await client.get(f"/api/agents/{agent_id}", headers=user.headers)).json()
    assert agent["status"] == "failed" and "Failed to initialize" in agent["error"]
    supervisor = alice["supervisor"]
    assert processes_in(supervisor.agent_dir(agent_id)) == []
    assert (await client.get("/healthz")).status_code == 200


async def test_a_server_slower_to_start_than_fast_agents_10_s_starts_and_answers(
    client, alice
) -> None:
    # fast-agent gives each MCP server 10 s; ours get the agent's start timeout, at the start
    # and again in every new conversation (each has its own server processes)
    user = alice["user"]
    agent_id = await _new_agent(client, user, [SLOW], "slow")
    try:
        started = await client.post(f"/api/agents/{agent_id}/start", headers=user.headers)
        assert started.status_code == 200, started.text
        reply = await _say(client, user, agent_id, f'***CALL_TOOL {SLOW}__echo {{"text": "late"}}')
        assert reply.status_code == 200, reply.text
        assert "late" in reply.json()["reply"]
    finally:
        await alice["supervisor"].stop(agent_id)


async def test_crashed_agent_is_reported_and_cleaned_up(client, alice) -> None:
    bob = alice["bob"]
    supervisor = alice["supervisor"]
    running = supervisor.get(bob["agent_id"])
    directory = running.directory
    assert len(processes_in(directory)) >= 2  # fast-agent and its MCP server
    os.kill(running.process.pid, signal.SIGKILL)
    for _ in range(100):
        agent = (
            await client.get(f"/api/agents/{bob['agent_id']}", headers=bob["user"].headers)
        ).json()
        if agent["status"] == "failed" and not processes_in(directory):
            break
        await asyncio.sleep(0.1)
    assert agent["status"] == "failed"
    assert "stopped unexpectedly" in agent["error"] and "signal 9" in agent["error"]
    assert processes_in(directory) == []  # its MCP server (own session) did not survive
    reply = await _say(client, bob["user"], bob["agent_id"], "hello?")
    assert reply.status_code == 409 and reply.json()["error"]["code"] == "agent_not_running"
    assert (await client.get("/api/agents", headers=alice["user"].headers)).status_code == 200


async def test_idle_agent_is_stopped_and_can_be_restarted(client, alice, settings) -> None:
    user, agent_id = alice["user"], alice["agent"]["id"]
    supervisor = alice["supervisor"]
    supervisor.get(agent_id).last_used -= settings.agent_idle_timeout_seconds + 1
    assert await supervisor.reap_idle() == [agent_id]
    agent = (await client.get(f"/api/agents/{agent_id}", headers=user.headers)).json()
    assert agent["status"] == "stopped" and "without messages" in agent["error"]
    assert processes_in(supervisor.agent_dir(agent_id)) == []
    restarted = await client.post(f"/api/agents/{agent_id}/start", headers=user.headers)
    assert restarted.json()["status"] == "running" and restarted.json()["error"] is None
    reply = await _say(
        client,
        user,
        agent_id,
        f'***CALL_TOOL {ECHO}__get_env {{"name": "ECHO_TOKEN"}}',
        alice["session_id"],
    )
    assert json.loads(reply.json()["reply"]) == {"result": ALICE_TOKEN}


async def test_stop_leaves_no_process_behind(client, alice) -> None:
    user, agent_id = alice["user"], alice["agent"]["id"]
    supervisor = alice["supervisor"]
    directory = supervisor.agent_dir(agent_id)
    assert processes_in(directory)
    stopped = await client.post(f"/api/agents/{agent_id}/stop", headers=user.headers)
    assert stopped.status_code == 200 and stopped.json()["status"] == "stopped"
    assert processes_in(directory) == []
    reply = await _say(client, user, agent_id, "hello?")
    assert reply.status_code == 409


async def test_reconcile_marks_dead_agents_stopped_and_kills_orphans(client, database, alice):
    user, agent_id = alice["user"], alice["agent"]["id"]
    supervisor = alice["supervisor"]
    directory = supervisor.agent_dir(agent_id)
    # a stand-in for an MCP server orphaned by a previous service instance
    orphan = subprocess.Popen(  # noqa: ASYNC220
        [sys.executable, "-c", "import time; time.sleep(60)"], cwd=directory, start_new_session=True
    )
    async with database.service() as conn:
        await conn.execute(
            "update agents set status = 'running', pid = 999999 where id = $1", uuid.UUID(agent_id)
        )
    try:
        await service.reconcile(database, supervisor)
        assert orphan.wait(timeout=5) is not None
    finally:
        if orphan.poll() is None:
            orphan.kill()
    agent = (await client.get(f"/api/agents/{agent_id}", headers=user.headers)).json()
    assert agent["status"] == "stopped" and "restarted" in agent["error"]


async def test_an_agent_model_without_a_key_is_refused_before_installing(
    client, alice, settings
) -> None:
    user = alice["user"]
    agent_id = await _new_agent(client, user, [BROKEN], "no-model-key")
    saved = settings.agent_model_override, settings.agent_anthropic_api_key
    settings.agent_model_override, settings.agent_anthropic_api_key = None, None
    try:
        response = await client.post(f"/api/agents/{agent_id}/start", headers=user.headers)
    finally:
        settings.agent_model_override, settings.agent_anthropic_api_key = saved
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "agent_model_unavailable"
    assert "AGENT_ANTHROPIC_API_KEY" in error["message"]
    assert "AGENT_MODEL_OVERRIDE=passthrough" in error["message"]
    assert processes_in(alice["supervisor"].agent_dir(agent_id)) == []
