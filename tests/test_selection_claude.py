"""Claude mode: what the model reads to choose servers reaches it (scripted Messages API)."""

import json
from collections.abc import AsyncIterator

import httpx
import pytest_asyncio

from dynamic_mcp.app import create_app
from tests.conftest import make_settings
from tests.fakes.anthropic_server import FakeAnthropic, text_reply, tool_reply


@pytest_asyncio.fixture(loop_scope="session")
async def fake() -> AsyncIterator[FakeAnthropic]:
    async with FakeAnthropic() as server:
        yield server


@pytest_asyncio.fixture(loop_scope="session")
async def model_client(fake, database, settings) -> AsyncIterator[httpx.AsyncClient]:
    model_settings = make_settings(
        settings.data_dir,
        anthropic_api_key="sk-ant-test-key",
        anthropic_base_url=fake.url,
        model_retry_base_seconds=0.001,
        rate_limit_chat_per_minute=10_000,
    )
    app = create_app(model_settings, database=database)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http


async def test_claude_reads_the_facts_and_the_rules_for_choosing(
    model_client, fake, make_user
) -> None:
    user = await make_user()
    fake.add(
        tool_reply(("search_mcp_servers", {"queries": ["GitHub issues", "post to Slack"]})),
        text_reply("I would pick github-official and slack."),
    )
    reply = await model_client.post(
        "/api/chat", json={"message": "Summarise GitHub issues in Slack"}, headers=user.headers
    )
    assert reply.status_code == 200, reply.text
    assert fake.remaining == 0
    first, second = (r["body"] for r in fake.requests[-2:])
    system = json.dumps(first["system"])
    for rule in ("named", "runnable", "verified", "archived", "official", "credentials_held"):
        assert rule in system
    tool = next(t for t in first["tools"] if t["name"] == "search_mcp_servers")
    assert "not_runnable_here" in tool["description"] and "named" in tool["description"]
    block = next(b for b in second["messages"][-1]["content"] if b.get("type") == "tool_result")
    content = block["content"]
    text = content if isinstance(content, str) else "".join(b["text"] for b in content)
    results = json.loads(text)["results"]
    github = next(s for s in results[0]["servers"] if s["named"] == "github")
    assert github["auth"] in {"token", "oauth", "none"} and github["tools"]
    assert {"runnable", "runnable_reason", "verified", "archived", "official"} <= set(github)
    assert results[1]["servers"][0]["slug"] == "slack"
    # the per-tool index says which tool fits: "post to Slack" -> its post-message tool
    assert "matched_tool" in tool["description"] and "not_in_catalog" in tool["description"]
    assert "not_in_catalog" in system
    assert results[1]["servers"][0]["matched_tool"] == "slack_post_message"
    assert results[1]["servers"][0]["tool_similarity"] > 0.5
