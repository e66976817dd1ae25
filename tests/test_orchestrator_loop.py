"""The chat loop with the real anthropic SDK against a scripted local Messages API server."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest_asyncio

from chat.service import ChatRuntime
from core.config import Settings
from core.db.database import Database
from dynamic_mcp.app import create_app
from tests.conftest import make_settings
from tests.fakes.anthropic_server import FakeAnthropic, error_reply, text_reply, tool_reply
from tools import ToolContext, ToolError

MAX_TURNS = 4
MAX_RETRIES = 3


async def add_numbers(ctx: ToolContext, a: int, b: int) -> dict[str, Any]:
    """Add two integers.

    Args:
        a: The first number.
        b: The second number.
    """
    ctx.emit({"type": "sum", "value": a + b})
    return {"sum": a + b, "summary": f"{a}+{b}={a + b}"}


async def explode(ctx: ToolContext) -> str:
    """A tool that always crashes."""
    raise RuntimeError("internal detail that must not reach the model")


_arrived: list[str] = []
_both_here = asyncio.Event()


async def rendezvous(ctx: ToolContext, tag: str) -> str:
    """Waits until a second call is running at the same time.

    Args:
        tag: A label.
    """
    _arrived.append(tag)
    if len(_arrived) >= 2:
        _both_here.set()
    try:
        await asyncio.wait_for(_both_here.wait(), 5)
    except TimeoutError as exc:
        raise ToolError("calls ran one after the other") from exc
    return f"met:{tag}"


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def fake() -> AsyncIterator[FakeAnthropic]:
    async with FakeAnthropic() as server:
        yield server


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def model_app(fake: FakeAnthropic, database: Database, settings: Settings) -> Any:
    settings = make_settings(
        settings.data_dir,
        anthropic_api_key="sk-ant-test-key",
        anthropic_base_url=fake.url,
        model_retry_base_seconds=0.001,
        model_retry_max_seconds=0.01,
        model_max_retries=MAX_RETRIES,
        chat_max_turns=MAX_TURNS,
        rate_limit_chat_per_minute=10_000,
        anthropic_model="claude-sonnet-4-6",
    )
    app = create_app(settings, database=database)
    async with app.router.lifespan_context(app):
        runtime = ChatRuntime.create(settings)
        for function in (add_numbers, explode, rendezvous):
            runtime.registry.add(function)
        app.state.chat_runtime = runtime
        yield app


@pytest_asyncio.fixture(loop_scope="session")
async def mclient(model_app: Any, fake: FakeAnthropic) -> AsyncIterator[httpx.AsyncClient]:
    fake.script.clear()
    fake.requests.clear()
    transport = httpx.ASGITransport(app=model_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http
    assert fake.remaining == 0, "the test did not consume its whole script"


async def stored(client: httpx.AsyncClient, user: Any, session_id: str) -> list[dict[str, Any]]:
    response = await client.get(
        f"/api/sessions/{session_id}/messages?limit=100", headers=user.headers
    )
    assert response.status_code == 200
    return response.json()["items"]


def assert_consistent(messages: list[dict[str, Any]]) -> None:
    """Every tool_use is answered by a tool_result in the very next message, and only then."""
    assert messages[0]["role"] == "user"
    for index, message in enumerate(messages):
        uses = [b["id"] for b in message["content"] if b["type"] == "tool_use"]
        if uses:
            assert message["role"] == "assistant"
            following = messages[index + 1]
            results = [b["tool_use_id"] for b in following["content"] if b["type"] == "tool_result"]
            assert following["role"] == "user" and results == uses
        for block in message["content"]:
            if block["type"] == "tool_result":
                previous = messages[index - 1]["content"]
                assert any(b.get("id") == block["tool_use_id"] for b in previous)


async def test_multi_step_tool_use_and_what_is_sent(mclient, fake, make_user) -> None:
    user = await make_user()
    fake.add(
        tool_reply(("add_numbers", {"a": 2, "b": 3}), text="Adding."),
        tool_reply(("add_numbers", {"a": 5, "b": 1})),
        text_reply("The answer is 6."),
    )
    response = await mclient.post(
        "/api/chat", json={"message": "add 2, 3 and 1"}, headers=user.headers
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["reply"] == "The answer is 6."
    assert [c["summary"] for c in body["tool_calls"]] == ["2+3=5", "5+1=6"]
    assert body["events"] == [{"type": "sum", "value": 5}, {"type": "sum", "value": 6}]
    assert body["message"]["role"] == "assistant"

    first = fake.requests[0]["body"]
    assert first["stream"] is True and first["model"] == "claude-sonnet-4-6"
    assert first["system"][0]["cache_control"] == {"type": "ephemeral"}
    assert "search_mcp_servers" in first["system"][0]["text"]
    names = [t["name"] for t in first["tools"]]
    assert names[:6] == [
        "search_mcp_servers",
        "request_credentials",
        "save_credential",
        "build_agent_config",
        "set_workflow",
        "create_fast_agent",
    ]
    assert first["tools"][-1]["cache_control"] == {"type": "ephemeral"}
    assert all("cache_control" not in t for t in first["tools"][:-1])
    add = next(t for t in first["tools"] if t["name"] == "add_numbers")
    assert add["description"] == "Add two integers."
    assert add["input_schema"]["properties"]["a"] == {
        "type": "integer",
        "description": "The first number.",
    }
    assert add["input_schema"]["required"] == ["a", "b"]
    assert "ctx" not in add["input_schema"]["properties"]
    assert first["messages"] == [
        {"role": "user", "content": [{"type": "text", "text": "add 2, 3 and 1"}]}
    ]
    assert fake.requests[0]["headers"]["x-api-key"] == "sk-ant-test-key"

    third = fake.requests[2]["body"]["messages"]
    assert [m["role"] for m in third] == ["user", "assistant", "user", "assistant", "user"]
    assert third[1]["content"][1]["type"] == "tool_use"
    assert third[2]["content"] == [
        {
            "type": "tool_result",
            "tool_use_id": third[1]["content"][1]["id"],
            "content": json.dumps({"sum": 5, "summary": "2+3=5"}),
            "is_error": False,
        }
    ]

    messages = await stored(mclient, user, body["session_id"])
    assert [m["role"] for m in messages] == [
        "user",
        "assistant",
        "user",
        "assistant",
        "user",
        "assistant",
    ]
    assert [{"role": m["role"], "content": m["content"]} for m in messages[:5]] == third
    assert messages[-1]["id"] == body["message"]["id"]
    assert_consistent(messages)


async def test_parallel_tool_calls_run_concurrently(mclient, fake, make_user) -> None:
    _arrived.clear()
    _both_here.clear()
    user = await make_user()
    fake.add(
        tool_reply(("rendezvous", {"tag": "a"}), ("rendezvous", {"tag": "b"})),
        text_reply("Both met."),
    )
    body = (await mclient.post("/api/chat", json={"message": "meet"}, headers=user.headers)).json()
    assert [c["is_error"] for c in body["tool_calls"]] == [False, False]
    results = fake.requests[1]["body"]["messages"][-1]["content"]
    assert [r["content"] for r in results] == ["met:a", "met:b"]  # one message, in call order
    assert_consistent(await stored(mclient, user, body["session_id"]))


async def test_tool_errors_are_results_the_model_can_act_on(mclient, fake, make_user) -> None:
    user = await make_user()
    fake.add(
        tool_reply(
            ("add_numbers", {"a": "two", "b": 1}),
            ("explode", {}),
            ("no_such_tool", {}),
            ("add_numbers", {"a": 1, "b": 1, "c": 3}),
        ),
        text_reply("Sorry, the tools failed."),
    )
    body = (await mclient.post("/api/chat", json={"message": "go"}, headers=user.headers)).json()
    assert body["reply"] == "Sorry, the tools failed."
    assert [c["is_error"] for c in body["tool_calls"]] == [True, True, True, True]
    results = fake.requests[1]["body"]["messages"][-1]["content"]
    assert all(r["is_error"] for r in results)
    assert "a: Input should be a valid integer" in results[0]["content"]
    assert "explode failed" in results[1]["content"]
    assert "internal detail" not in results[1]["content"]
    assert "Unknown tool 'no_such_tool'" in results[2]["content"]
    assert "c: Extra inputs are not permitted" in results[3]["content"]
    assert_consistent(await stored(mclient, user, body["session_id"]))


async def test_turn_limit_stops_the_loop(mclient, fake, make_user) -> None:
    user = await make_user()
    fake.add(*[tool_reply(("add_numbers", {"a": i, "b": 1})) for i in range(MAX_TURNS)])
    body = (await mclient.post("/api/chat", json={"message": "loop"}, headers=user.headers)).json()
    assert len(fake.requests) == MAX_TURNS
    assert f"stopped after {MAX_TURNS} steps" in body["reply"]
    messages = await stored(mclient, user, body["session_id"])
    assert len(messages) == 1 + 2 * MAX_TURNS + 1 and messages[-1]["role"] == "assistant"
    assert_consistent(messages)


async def test_retry_then_success(mclient, fake, make_user) -> None:
    user = await make_user()
    fake.add(
        error_reply(429, retry_after="0"),
        error_reply(529),
        error_reply(500),
        text_reply("Finally."),
    )
    response = await mclient.post("/api/chat", json={"message": "hi"}, headers=user.headers)
    assert response.status_code == 200 and response.json()["reply"] == "Finally."
    assert len(fake.requests) == 4
    assert all(r["body"] == fake.requests[0]["body"] for r in fake.requests)


async def test_retries_exhausted_keeps_message_and_next_turn_works(
    mclient, fake, make_user
) -> None:
    user = await make_user()
    fake.add(*[error_reply(529) for _ in range(MAX_RETRIES + 1)])
    response = await mclient.post("/api/chat", json={"message": "first"}, headers=user.headers)
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "model_unavailable"
    history = (await mclient.get("/api/chat/history", headers=user.headers)).json()["items"]
    session_id = history[0]["id"]
    assert history[0]["last_message"]["text"] == "first"

    fake.add(text_reply("Hello again."))
    response = await mclient.post(
        "/api/chat", json={"session_id": session_id, "message": "second"}, headers=user.headers
    )
    assert response.status_code == 200 and response.json()["reply"] == "Hello again."
    # the two user messages reach the model as one user turn
    assert fake.requests[-1]["body"]["messages"] == [
        {
            "role": "user",
            "content": [{"type": "text", "text": "first"}, {"type": "text", "text": "second"}],
        }
    ]


async def test_failure_midway_leaves_a_replayable_transcript(mclient, fake, make_user) -> None:
    user = await make_user()
    fake.add(
        tool_reply(("add_numbers", {"a": 1, "b": 2})),
        *[error_reply(500) for _ in range(MAX_RETRIES + 1)],
    )
    response = await mclient.post("/api/chat", json={"message": "add"}, headers=user.headers)
    assert response.status_code == 502
    assert response.json()["error"]["code"] == "model_error"
    history = (await mclient.get("/api/chat/history", headers=user.headers)).json()
    session_id = history["items"][0]["id"]
    messages = await stored(mclient, user, session_id)
    assert [m["role"] for m in messages] == ["user", "assistant", "user"]
    assert_consistent(messages)

    fake.add(text_reply("3."))
    response = await mclient.post(
        "/api/chat", json={"session_id": session_id, "message": "and?"}, headers=user.headers
    )
    assert response.status_code == 200
    sent = fake.requests[-1]["body"]["messages"]
    assert [m["role"] for m in sent] == ["user", "assistant", "user"]
    assert [b["type"] for b in sent[-1]["content"]] == ["tool_result", "text"]
    assert_consistent(await stored(mclient, user, session_id))


def parse_sse(text: str) -> list[tuple[str, Any]]:
    events = []
    for chunk in text.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in chunk.splitlines())
        events.append((lines["event"], json.loads(lines["data"])))
    return events


async def test_streaming_to_the_client(mclient, fake, make_user) -> None:
    user = await make_user()
    fake.add(
        tool_reply(("add_numbers", {"a": 2, "b": 2}), text="Let me add."),
        text_reply("It is four.", delay=0.01, chunk_delay=0.001),
    )
    async with mclient.stream(
        "POST",
        "/api/chat",
        json={"message": "2+2"},
        headers={**user.headers, "Accept": "text/event-stream"},
    ) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        events = parse_sse((await response.aread()).decode())
    names = [name for name, _ in events]
    assert names[0] == "session" and names[-1] == "done"
    assert names.index("tool_start") < names.index("ui") < names.index("tool_end")
    text = "".join(data["text"] for name, data in events if name == "text_delta")
    assert text == "Let me add.It is four."
    start = next(data for name, data in events if name == "tool_start")
    assert start["name"] == "add_numbers" and start["input"] == {"a": 2, "b": 2}
    end = next(data for name, data in events if name == "tool_end")
    assert end == {"id": start["id"], "name": "add_numbers", "is_error": False, "summary": "2+2=4"}
    done = events[-1][1]
    assert done["reply"] == "It is four." and done["session_id"] == events[0][1]["session_id"]
    assert_consistent(await stored(mclient, user, done["session_id"]))


async def test_streaming_error_event_and_mid_stream_failure(mclient, fake, make_user) -> None:
    user = await make_user()
    # text already reached the client: the failure is reported, not retried (no repeated text)
    fake.add(text_reply("partial answer that breaks", stream_error_after=4))
    async with mclient.stream(
        "POST",
        "/api/chat",
        json={"message": "x"},
        headers={**user.headers, "Accept": "text/event-stream"},
    ) as response:
        events = parse_sse((await response.aread()).decode())
    assert events[-1][0] == "error"
    assert events[-1][1]["error"]["code"] in ("model_unavailable", "model_error")
    assert len(fake.requests) == 1


async def test_unknown_session_is_404(mclient, fake, make_user) -> None:
    user, other = await make_user(), await make_user()
    fake.add(text_reply("hi"))
    response = await mclient.post("/api/chat", json={"message": "x"}, headers=user.headers)
    session_id = response.json()["session_id"]
    response = await mclient.post(
        "/api/chat", json={"session_id": session_id, "message": "hi"}, headers=other.headers
    )
    assert response.status_code == 404
