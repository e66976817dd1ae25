"""Claude fills the workflow through set_workflow (the Messages API double at the wire): the tool's
schema is sent, the schedule is read in the time zone of the chat request, the steps shape the
agent card, and the result gives the model the confirmation sentence to say."""

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest_asyncio

from dynamic_mcp.app import create_app
from tests.conftest import make_settings
from tests.fakes.anthropic_server import FakeAnthropic, text_reply, tool_reply


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def claude() -> AsyncIterator[FakeAnthropic]:
    async with FakeAnthropic() as server:
        yield server


@pytest_asyncio.fixture(loop_scope="session")
async def claude_client(claude: FakeAnthropic, database: Any, settings: Any) -> AsyncIterator[Any]:
    model_settings = make_settings(
        settings.data_dir,
        anthropic_api_key="sk-ant-test-key",
        anthropic_base_url=claude.url,
        model_retry_base_seconds=0.001,
        model_retry_max_seconds=0.01,
    )
    app = create_app(model_settings, database=database)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http
    assert claude.remaining == 0


async def test_claude_sets_a_weekday_schedule_with_steps(claude_client, claude, make_user) -> None:
    user = await make_user()
    created = await claude_client.post(
        "/api/agents",
        headers=user.headers,
        json={"servers": ["time"], "name": "tokyo-time", "instruction": "Tell the time."},
    )
    agent_id = created.json()["agent"]["id"]
    steps = [
        {"kind": "read", "description": "the current time in Tokyo", "servers": ["time"]},
        {"kind": "deliver", "description": "reply with one line"},
    ]
    claude.add(
        tool_reply(
            (
                "set_workflow",
                {
                    "agent_id": agent_id,
                    "task": "Tell me the current time in Tokyo.",
                    "schedule": "every weekday at 08:30",
                    "steps": steps,
                },
            )
        ),
        text_reply("Scheduled: every weekday at 08:30 Europe/Berlin."),
    )
    answer = await claude_client.post(
        "/api/chat",
        headers=user.headers,
        json={
            "message": "Weekdays at 8:30, tell me the time in Tokyo",
            "timezone": "Europe/Berlin",
        },
    )
    assert answer.status_code == 200, answer.text
    tools = {t["name"]: t for t in claude.requests[0]["body"]["tools"]}
    assert tools["set_workflow"]["input_schema"]["properties"]["steps"]
    result = claude.requests[1]["body"]["messages"][-1]["content"][0]
    assert result["type"] == "tool_result" and not result.get("is_error")
    said = json.loads(
        result["content"] if isinstance(result["content"], str) else result["content"][0]["text"]
    )
    assert (said["cron"], said["timezone"]) == ("30 8 * * 1-5", "Europe/Berlin")
    assert said["confirmation"].startswith("every weekday at 08:30 Europe/Berlin, next run ")
    schedule = (
        await claude_client.get(f"/api/agents/{agent_id}/schedule", headers=user.headers)
    ).json()
    assert [s["kind"] for s in schedule["steps"]] == ["read", "deliver"]
    files = (await claude_client.get(f"/api/agents/{agent_id}/config", headers=user.headers)).json()
    card = next(text for name, text in files["files"].items() if name.endswith(".md"))
    assert "1. Read: the current time in Tokyo (with time)" in card
    assert "Deliver the result as the last step: reply with one line." in card
    assert "Weekdays at 8:30" not in card  # written from the steps, not copied from the request
