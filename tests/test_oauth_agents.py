"""An OAuth-only remote MCP server from a chat request to a running agent, and its tokens' life.

Real parts throughout: the offline planner through POST /api/chat, the Connect link, the loopback
authorization server and protected streamable-HTTP MCP server, real fast-agent processes (the
passthrough model). The tests of this module share one user and run in file order.
"""

import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from agents.token_refresh import refresh_running
from tests.fakes.oauth_provider import TOOLS, FakeOAuthProvider
from tests.oauth_helpers import SLUG, load_with, unload, walk_to_callback, write_catalog_dir
from tools.credentials import request_credentials
from tools.registry import ToolContext

pytestmark = pytest.mark.timeout(300)


@pytest.fixture(scope="module")
async def provider(app, database, settings, tmp_path_factory):
    fake = FakeOAuthProvider(cimd_supported=False).start()  # dynamic registration here
    await load_with(database, settings, write_catalog_dir(tmp_path_factory.mktemp("cat"), fake))
    saved = settings.agent_model_override, settings.agent_start_timeout_seconds
    settings.agent_model_override = "passthrough"
    settings.agent_start_timeout_seconds = 180.0  # a busy 2-core machine starts slowly
    yield fake
    settings.agent_model_override, settings.agent_start_timeout_seconds = saved
    await app.state.agent_supervisor.stop_agents()
    fake.stop()
    await unload(database)


@pytest.fixture(scope="module")
async def story(app, database, settings, provider):
    from tests.conftest import create_user

    return {"user": await create_user(database, settings)}


@pytest.fixture
async def browser(app):
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as http:
        yield http


def _ui(body, kind):
    return [event for event in body["events"] if event["type"] == kind]


async def _chat(browser, user, message, session_id=None):
    payload = {"message": message, **({"session_id": session_id} if session_id else {})}
    response = await browser.post("/api/chat", headers=user.headers, json=payload)
    assert response.status_code == 200, response.text
    return response.json()


async def _expire_on_our_side(database, user) -> None:
    async with database.service() as conn:
        await conn.execute(
            "update oauth_connections set expires_at = $2 where user_id = $1::uuid",
            user.id,
            datetime.now(UTC) - timedelta(minutes=1),
        )


async def test_chat_request_to_running_agent_listing_the_servers_tools(browser, story, provider):
    user = story["user"]
    first = await _chat(browser, user, "Create issues in my Fake Issues tracker")
    session_id = story["session_id"] = first["session_id"]
    [request] = _ui(first, "credentials_requested")
    [server] = [s for s in request["servers"] if s["server"] == SLUG]
    assert server["oauth"]["status"] == "not_connected" and server["items"] == []
    assert "Connect Fake Issues" in first["reply"]
    assert "/api/oauth/start/" not in json.dumps(first["tool_calls"])  # the link is the page's

    walk = await walk_to_callback(browser, server["oauth"]["connect_url"])
    done = await browser.get(walk.callback)
    assert done.status_code == 200 and "Fake Issues is connected" in done.text
    assert "register" in provider.events  # no CIMD here: dynamic registration

    built = await _chat(browser, user, "Fake Issues is connected.", session_id)
    [config] = _ui(built, "config_built")
    story["agent_id"] = agent_id = config["agent_id"]
    files = (await browser.get(f"/api/agents/{agent_id}/config", headers=user.headers)).json()
    text = json.dumps(files)
    assert "access_token: ${FAKE_ISSUES_OAUTH_ACCESS_TOKEN}" in text  # sent as Bearer
    assert not any(token in text for token in provider.access)  # references only

    started = await _chat(browser, user, "start", session_id)
    [running] = _ui(started, "agent_started")
    assert running["status"] == "running"
    assert {f"fake-issues__{name}" for name in TOOLS} <= set(running["tools"])
    assert provider.seen_tokens[-1] in provider.live_access_tokens()
    messages = await browser.get(
        f"/api/sessions/{session_id}/messages?limit=100", headers=user.headers
    )
    assert not any(token in messages.text for token in [*provider.access, *provider.refresh])


async def test_running_agent_gets_a_fresh_token_before_expiry(
    app, database, settings, story, provider
):
    supervisor = app.state.agent_supervisor  # the one the chat's create_fast_agent used
    before = provider.seen_tokens[-1]
    saved = settings.oauth_refresh_margin_seconds
    settings.oauth_refresh_margin_seconds = 10 * 365 * 86400  # every token is "about to expire"
    try:
        restarted = await refresh_running(database, supervisor)
    finally:
        settings.oauth_refresh_margin_seconds = saved
    assert restarted == [story["agent_id"]]
    assert provider.events.count("refresh") == 1
    agent = supervisor.get(story["agent_id"])
    assert agent is not None and {t["name"] for t in agent.tools} >= {
        f"fake-issues__{name}" for name in TOOLS
    }
    assert provider.seen_tokens[-1] != before  # the restarted agent uses the new token
    assert await refresh_running(database, supervisor) == []  # nothing due with the real margin


async def test_expired_access_token_is_refreshed_before_start(browser, database, story, provider):
    user, agent_id = story["user"], story["agent_id"]
    await browser.post(f"/api/agents/{agent_id}/stop", headers=user.headers)
    provider.expire_access_tokens()
    await _expire_on_our_side(database, user)
    started = await browser.post(f"/api/agents/{agent_id}/start", headers=user.headers)
    assert started.status_code == 200, started.text
    assert started.json()["status"] == "running"
    assert provider.events.count("refresh") == 2
    assert provider.seen_tokens[-1] in provider.live_access_tokens()


async def test_revoked_refresh_token_asks_to_connect_again(app, browser, database, story, provider):
    user, agent_id = story["user"], story["agent_id"]
    await browser.post(f"/api/agents/{agent_id}/stop", headers=user.headers)
    provider.revoke_refresh_tokens()
    await _expire_on_our_side(database, user)
    refused = await browser.post(f"/api/agents/{agent_id}/start", headers=user.headers)
    assert refused.status_code == 409, refused.text
    assert refused.json()["error"]["code"] == "oauth_reauthorization_needed"
    assert refused.json()["error"]["details"] == {"servers": [SLUG]}
    connections = (await browser.get("/api/oauth/connections", headers=user.headers)).json()
    assert connections["items"][0]["status"] == "needs_reauthorization"

    events: list[dict] = []
    ctx = ToolContext(
        user=user, session_id=story["session_id"], db=database,
        settings=app.state.settings, emit=events.append,
    )  # fmt: skip
    result = await request_credentials(ctx, [SLUG])
    assert result["complete"] is False
    [item] = [i for i in result["servers"][0]["items"] if i["name"] == "Connect Fake Issues"]
    assert item["status"] == "missing" and "again" in item["instruction"]
    assert events[0]["servers"][0]["oauth"]["status"] == "needs_reauthorization"
    # connecting again makes the agent start
    walk = await walk_to_callback(browser, events[0]["servers"][0]["oauth"]["connect_url"])
    assert (await browser.get(walk.callback)).status_code == 200
    started = await browser.post(f"/api/agents/{agent_id}/start", headers=user.headers)
    assert started.status_code == 200 and started.json()["status"] == "running"
    await browser.post(f"/api/agents/{agent_id}/stop", headers=user.headers)


async def test_an_agent_without_a_connection_is_refused(browser, make_user, provider):
    user = await make_user()
    created = await browser.post(
        "/api/agents",
        headers=user.headers,
        json={"servers": [SLUG], "name": "No Connection", "instruction": "Create issues."},
    )
    assert created.status_code == 409
    assert created.json()["error"]["details"]["missing"] == {SLUG: ["OAUTH_ACCESS_TOKEN"]}
