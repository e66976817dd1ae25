"""Agent faults the agents tests leave out: the disk for agent workspaces is not usable.

Starting an agent must then fail cleanly (a JSON error, the agent marked ``failed`` with a
reason, never stuck in ``starting``), and the rest of the service must keep serving.
"""

import shutil
import sys
from pathlib import Path

import httpx
import pytest

from auth.local import signing_key
from dynamic_mcp.app import create_app
from tests.conftest import make_settings
from tests.test_data_safety import install_server, retire_servers

ECHO = Path(__file__).parent / "mcp_servers" / "echo_env.py"


@pytest.fixture
async def broken_disk_client(tmp_path, settings, database):
    data = tmp_path / "data"
    data.mkdir()
    signing_key(settings)  # make sure the token signer exists before copying it
    # same keys as the shared database's other users (credentials key ring, token signer)
    for item in settings.data_dir.iterdir():
        if item.is_file():
            shutil.copy2(item, data / item.name)
    shutil.copytree(settings.data_dir / "auth", data / "auth")
    # where the agent workspaces go there is a file: every mkdir/write there fails (as root a
    # chmod would not stop us, so this is how the test makes the disk unusable)
    (data / "agents").write_text("not a directory")
    app_settings = make_settings(data, rate_limit_chat_per_minute=0)
    async with database.service() as conn:
        await install_server(
            conn,
            "reltest-echo",
            credentials=[],
            launch={"transport": "stdio", "command": sys.executable, "args": [str(ECHO)]},
        )
    app = create_app(app_settings, database=database)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://t", timeout=60) as http:
            yield http
    await retire_servers(database, "reltest-echo")


async def test_unwritable_agent_workspace_fails_cleanly(broken_disk_client, make_user):
    http, user = broken_disk_client, await make_user()
    created = await http.post(
        "/api/agents",
        headers=user.headers,
        json={"servers": ["reltest-echo"], "name": "disk-test", "instruction": "Echo what I say."},
    )
    assert created.status_code == 201, created.text
    agent_id = created.json()["agent"]["id"]

    started = await http.post(f"/api/agents/{agent_id}/start", headers=user.headers)
    assert 500 < started.status_code < 600 or started.status_code == 409, started.text
    body = started.json()
    assert set(body) == {"error"} and body["error"]["code"] != "internal_error", body
    assert "Traceback" not in started.text

    agent = (await http.get(f"/api/agents/{agent_id}", headers=user.headers)).json()
    assert agent["status"] == "failed" and agent["error"], agent
    # the rest of the service is unaffected
    assert (await http.get("/readyz")).status_code == 200
    chat = await http.post("/api/chat", headers=user.headers, json={"message": "I need GitHub"})
    assert chat.status_code == 200, chat.text
