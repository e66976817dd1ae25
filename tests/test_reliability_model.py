"""Model faults the chat tests leave out: the stream dropped midway (TCP cut or truncated SSE),
a model that hangs past the deadline in the middle of a tool loop, and a client that goes away
mid-stream. Each must end in a clean JSON error (or SSE ``error`` event), leave a transcript
the Messages API accepts back (no ``tool_use`` without its ``tool_result``), and the next turn
must work.
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import uvicorn

from chat.service import ChatRuntime
from dynamic_mcp.app import create_app
from tests.conftest import make_settings
from tests.fakes.anthropic_server import FakeAnthropic, Step, _sse_events, text_reply, tool_reply
from tests.test_reliability_db import assert_consistent_transcript
from tools import ToolContext

DEADLINE = 1.0


@dataclass
class DropStep(Step):
    """A streamed answer cut after ``drop_after`` SSE events: ``cut`` resets the connection,
    ``truncate`` ends the body cleanly without the rest (no ``message_stop``)."""

    drop_after: int = 1
    how: str = "cut"


class _Cut(Exception):
    pass


class DroppingFake(FakeAnthropic):
    async def _stream(self, step: Step, model: str) -> AsyncIterator[bytes]:
        if not isinstance(step, DropStep):
            async for chunk in super()._stream(step, model):
                yield chunk
            return
        for n, (name, data) in enumerate(_sse_events(step, model)):
            if n == step.drop_after:
                if step.how == "cut":
                    raise _Cut("connection dropped by the fake model server")
                return
            yield f"event: {name}\ndata: {json.dumps(data)}\n\n".encode()


def drop(step: Step, after: int, how: str = "cut") -> DropStep:
    # a chunk delay makes the fake stream event by event (through ``_stream``)
    return DropStep(step.content, step.stop_reason, chunk_delay=0.001, drop_after=after, how=how)


async def add_numbers(ctx: ToolContext, a: int, b: int) -> dict[str, Any]:
    """Add two integers.

    Args:
        a: The first number.
        b: The second number.
    """
    return {"sum": a + b}


async def slow_lookup(ctx: ToolContext, what: str) -> str:
    """Look something up slowly.

    Args:
        what: What to look up.
    """
    await asyncio.sleep(30)
    return what


@pytest.fixture(scope="module")
async def fake() -> AsyncIterator[DroppingFake]:
    async with DroppingFake() as server:
        yield server


@pytest.fixture(scope="module")
async def model_app(fake, database, settings):
    app_settings = make_settings(
        settings.data_dir,
        anthropic_api_key="sk-ant-reliability",
        anthropic_base_url=fake.url,
        anthropic_model="claude-sonnet-4-6",
        model_deadline_seconds=DEADLINE,
        model_max_retries=2,
        model_retry_base_seconds=0.001,
        model_retry_max_seconds=0.01,
        rate_limit_chat_per_minute=0,
    )
    app = create_app(app_settings, database=database)
    async with app.router.lifespan_context(app):
        runtime = ChatRuntime.create(app_settings)
        runtime.registry.add(add_numbers)
        runtime.registry.add(slow_lookup)
        app.state.chat_runtime = runtime
        yield app


@pytest.fixture
async def http(model_app, fake) -> AsyncIterator[httpx.AsyncClient]:
    fake.script.clear()
    fake.requests.clear()
    transport = httpx.ASGITransport(app=model_app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t", timeout=30) as client:
        yield client
    assert fake.remaining == 0, "the test did not consume its whole script"


async def transcript(http: httpx.AsyncClient, user: Any, session_id: str) -> list[dict[str, Any]]:
    response = await http.get(
        f"/api/sessions/{session_id}/messages?limit=100", headers=user.headers
    )
    assert response.status_code == 200, response.text
    return [{"role": m["role"], "content": m["content"]} for m in response.json()["items"]]


async def latest_session(http: httpx.AsyncClient, user: Any) -> str:
    history = await http.get("/api/chat/history", headers=user.headers)
    return history.json()["items"][0]["id"]


def assert_error(response: httpx.Response, statuses: tuple[int, ...]) -> dict[str, Any]:
    assert response.status_code in statuses, response.text
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}
    assert "Traceback" not in response.text and "sk-ant" not in response.text
    return body["error"]


async def next_turn_works(http, fake, user, session_id: str) -> None:
    fake.add(text_reply("Back to normal."))
    response = await http.post(
        "/api/chat",
        headers=user.headers,
        json={"session_id": session_id, "message": "still there?"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["reply"] == "Back to normal."
    sent = fake.requests[-1]["body"]["messages"]
    assert_consistent_transcript(sent)  # what the model got back is a valid conversation
    assert_consistent_transcript(await transcript(http, user, session_id))


async def test_connection_cut_before_any_text_is_retried(http, fake, make_user):
    user = await make_user()
    fake.add(drop(text_reply("never seen"), after=1), text_reply("Second try worked."))
    response = await http.post("/api/chat", json={"message": "hi"}, headers=user.headers)
    assert response.status_code == 200, response.text
    assert response.json()["reply"] == "Second try worked."
    assert len(fake.requests) == 2


@pytest.mark.parametrize("how", ["cut", "truncate"])
async def test_stream_dropped_midway_through_a_tool_loop(http, fake, make_user, how):
    user = await make_user()
    fake.add(
        tool_reply(("add_numbers", {"a": 1, "b": 2}), text="Adding."),
        drop(text_reply("The sum is three, and here is a long explanation"), after=5, how=how),
        # a truncated stream that is retried would consume these
        *([text_reply("retried")] if how == "truncate" else []),
    )
    response = await http.post("/api/chat", json={"message": "add 1 and 2"}, headers=user.headers)
    session_id = await latest_session(http, user)
    if response.status_code == 200:
        # only acceptable if the broken answer was not taken as the reply
        assert response.json()["reply"] == "retried", response.text
    else:
        error = assert_error(response, (502, 503, 504))
        assert error["code"].startswith("model_")
        if how == "truncate":
            fake.script.clear()
    messages = await transcript(http, user, session_id)
    assert_consistent_transcript(messages)
    assert all("long explanation" not in json.dumps(m) for m in messages), "partial text stored"
    await next_turn_works(http, fake, user, session_id)


async def test_stream_dropped_midway_over_sse(http, fake, make_user):
    user = await make_user()
    fake.add(
        tool_reply(("add_numbers", {"a": 2, "b": 2})),
        drop(text_reply("Four, because two and two"), after=5),
    )
    response = await http.post(
        "/api/chat",
        json={"message": "2+2"},
        headers={**user.headers, "Accept": "text/event-stream"},
    )
    assert response.status_code == 200
    events = [chunk for chunk in response.text.strip().split("\n\n")]
    assert events[-1].startswith("event: error"), events[-1]
    error = json.loads(events[-1].split("data: ", 1)[1])["error"]
    assert error["code"].startswith("model_") and "Traceback" not in response.text
    session_id = json.loads(events[0].split("data: ", 1)[1])["session_id"]
    assert_consistent_transcript(await transcript(http, user, session_id))
    await next_turn_works(http, fake, user, session_id)


async def test_model_hangs_past_the_deadline_midway(http, fake, make_user):
    user = await make_user()
    fake.add(
        tool_reply(("add_numbers", {"a": 5, "b": 5})), text_reply("too late", delay=DEADLINE * 20)
    )
    response = await http.post("/api/chat", json={"message": "add"}, headers=user.headers)
    error = assert_error(response, (503, 504))
    assert error["code"] == "model_timeout"
    fake.script.clear()  # retries within the deadline may or may not have been attempted
    session_id = await latest_session(http, user)
    messages = await transcript(http, user, session_id)
    assert [m["role"] for m in messages] == ["user", "assistant", "user"]
    assert_consistent_transcript(messages)
    await next_turn_works(http, fake, user, session_id)


async def test_client_disconnecting_mid_stream_leaves_a_consistent_session(
    model_app, fake, make_user
):
    """A real HTTP server: the browser goes away while a tool runs; the turn is cancelled."""
    fake.script.clear()
    fake.requests.clear()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(
        model_app, log_level="warning", lifespan="off", timeout_graceful_shutdown=1
    )
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    user = await make_user()
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    try:
        while not server.started:  # noqa: ASYNC110 (uvicorn offers no event to wait on)
            await asyncio.sleep(0.01)
        fake.add(tool_reply(("slow_lookup", {"what": "x"}), text="Looking it up."))
        async with httpx.AsyncClient(base_url=base, timeout=30) as client:
            async with client.stream(
                "POST",
                "/api/chat",
                json={"message": "look up x"},
                headers={**user.headers, "Accept": "text/event-stream"},
            ) as r:
                async for line in r.aiter_lines():
                    if line == "event: tool_start":
                        break  # the slow tool is running now
            # leaving the block closed the connection mid-stream: the server cancels the turn
            history = await client.get("/api/chat/history", headers=user.headers)
            session_id = history.json()["items"][0]["id"]
            page = await client.get(f"/api/sessions/{session_id}/messages", headers=user.headers)
            assert page.status_code == 200, page.text
            messages = [{"role": m["role"], "content": m["content"]} for m in page.json()["items"]]
            assert_consistent_transcript(messages)
            fake.add(text_reply("Back to normal."))
            again = await client.post(
                "/api/chat",
                headers=user.headers,
                json={"session_id": session_id, "message": "again"},
            )
            assert again.status_code == 200, again.text
            assert_consistent_transcript(fake.requests[-1]["body"]["messages"])
    finally:
        server.should_exit = True
        await serving
