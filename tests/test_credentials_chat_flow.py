"""A user pastes a GitHub token into the chat: it is stored encrypted and seen nowhere else.

Runs POST /api/chat with the real anthropic SDK against the scripted fake Messages API, then
looks for the token in every request the model server received, every API response, every log
line and every table of the database.
"""

import json
import logging
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio

from credentials import service
from dynamic_mcp.app import create_app
from tests.conftest import make_settings
from tests.fakes.anthropic_server import FakeAnthropic, text_reply, tool_reply
from tests.test_credentials_api import GITHUB, catalog  # noqa: F401

TOKEN = "ghp_" + "Vb6Nm4Kj2Hg8" * 3  # a GitHub classic token, 40 characters
pytestmark = pytest.mark.usefixtures("catalog")


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
        model_retry_max_seconds=0.01,
        rate_limit_chat_per_minute=10_000,
        anthropic_model="claude-sonnet-4-6",
    )
    app = create_app(model_settings, database=database)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http


async def _database_text(database, needle: str) -> list[str]:
    """Tables of the public schema whose rows, as text, contain ``needle`` (or its hex bytes)."""
    found = []
    async with database.service() as conn:
        tables = await conn.fetch(
            "select table_name from information_schema.tables"
            " where table_schema in ('public') and table_type = 'BASE TABLE'"
        )
        for row in tables:
            name = row["table_name"]
            text = await conn.fetchval(
                f"select coalesce(string_agg(t::text, ' '), '') from public.{name} t"  # noqa: S608
            )
            if needle in text or needle.encode().hex() in text:
                found.append(name)
    return found


async def test_pasted_github_token_goes_only_to_the_vault(
    model_client, fake, database, make_user, caplog
) -> None:
    caplog.set_level(logging.DEBUG)
    user = await make_user()
    fake.add(
        tool_reply(("request_credentials", {"servers": [GITHUB]}), text="Let me check."),
        tool_reply(
            (
                "save_credential",
                {"server": GITHUB, "name": "GITHUB_TOKEN", "secret_ref": "[secret:1]"},
            )
        ),
        text_reply("Your GitHub token is saved."),
    )
    responses: list[httpx.Response] = []
    message = f"Set up GitHub issues for me. My token is {TOKEN} (keep it safe)"
    first = await model_client.post("/api/chat", json={"message": message}, headers=user.headers)
    responses.append(first)
    assert first.status_code == 200, first.text
    body = first.json()
    names = [(c["name"], c["is_error"]) for c in body["tool_calls"]]
    assert names == [("request_credentials", False), ("save_credential", False)]
    session_id = body["session_id"]
    assert fake.remaining == 0

    # the model saw the reference, never the value, in any request
    sent = json.dumps([r["body"] for r in fake.requests])
    assert "[secret:1]" in sent
    assert TOKEN not in sent

    # the real value was stored, encrypted
    async with database.as_user(user.claims) as conn:
        assert await service.load_user_secrets(conn, user.id, [GITHUB]) == {
            GITHUB: {"GITHUB_TOKEN": TOKEN}
        }

    # a streamed turn with the token pasted again: still redacted everywhere
    fake.add(text_reply("It is already saved."))
    async with model_client.stream(
        "POST",
        "/api/chat",
        json={"session_id": session_id, "message": f"again: GITHUB_TOKEN={TOKEN}"},
        headers={**user.headers, "Accept": "text/event-stream"},
    ) as streamed:
        await streamed.aread()
        responses.append(streamed)
    assert TOKEN not in json.dumps([r["body"] for r in fake.requests])

    for path in (
        f"/api/sessions/{session_id}/messages?limit=100",
        "/api/chat/history",
        "/api/credentials",
    ):
        responses.append(await model_client.get(path, headers=user.headers))
    for response in responses:
        assert response.status_code == 200, response.text
        assert TOKEN not in response.text

    assert await _database_text(database, TOKEN) == []
    assert caplog.records  # the turn did log (requests, tool calls)
    logged = caplog.text + "\n".join(str(r.__dict__) for r in caplog.records)
    assert TOKEN not in logged


async def test_tool_results_never_carry_values(model_client, fake, make_user) -> None:
    user = await make_user()
    fake.add(
        tool_reply(
            (
                "save_credential",
                {"server": GITHUB, "name": "GITHUB_TOKEN", "secret_ref": "[secret:1]"},
            )
        ),
        text_reply("The token does not look like a GitHub token."),
    )
    # a value that fails the template's pattern: the error names the field, not the value
    bad = "glpat-" + "x1Y2z3" * 5
    response = await model_client.post(
        "/api/chat", json={"message": f"token {bad}"}, headers=user.headers
    )
    assert response.status_code == 200, response.text
    (call,) = response.json()["tool_calls"]
    assert call["is_error"] is True
    tool_results: list[Any] = [
        block
        for request in fake.requests
        for message in request["body"]["messages"]
        if isinstance(message["content"], list)
        for block in message["content"]
        if block.get("type") == "tool_result"
    ]
    assert tool_results and "GITHUB_TOKEN" in json.dumps(tool_results)
    assert bad not in json.dumps([r["body"] for r in fake.requests]) + response.text
    assert uuid.UUID(response.json()["session_id"])
