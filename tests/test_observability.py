"""Observability: one access line per request (route template, user, status, latency) and
model token usage per model call and per chat turn, as structured log fields."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from chat import service
from chat.service import ChatRuntime, UsageMeter
from core.config import Settings
from core.db.database import Database
from core.logging_setup import DevFormatter, JsonFormatter
from orchestrator.model_client import ModelResponse
from tests.conftest import make_settings
from tests.fakes.anthropic_server import FakeAnthropic, text_reply, tool_reply

MODEL = "claude-sonnet-4-6"


def _access(caplog: pytest.LogCaptureFixture, path: str) -> logging.LogRecord:
    [record] = [
        r
        for r in caplog.records
        if r.name == "dynamic_mcp.access" and getattr(r, "path", None) == path
    ]
    return record


async def test_access_line_has_route_template_user_and_status(
    client: Any, make_user: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="dynamic_mcp.access")
    user = await make_user()
    path = f"/api/sessions/{uuid.uuid4()}/messages"
    response = await client.get(path, headers={**user.headers, "X-Request-ID": "obs-req-1"})
    assert response.status_code == 404
    record = _access(caplog, path)
    assert record.route == "/api/sessions/{session_id}/messages"
    assert (record.method, record.status, record.request_id) == ("GET", 404, "obs-req-1")
    assert record.user_id == user.id
    assert isinstance(record.latency_ms, float) and record.latency_ms >= 0
    assert path not in record.getMessage()  # the readable line names the template too

    anonymous = await client.get("/api/credentials")
    assert anonymous.status_code == 401
    record = _access(caplog, "/api/credentials")
    assert record.user_id is None and record.route == "/api/credentials"
    assert record.request_id == anonymous.headers["x-request-id"]

    assert (await client.get("/no/such/page")).status_code == 404
    assert _access(caplog, "/no/such/page").route == "-"  # no raw path as a route
    await client.get("/docs")
    await client.get("/app/index.html")
    assert _access(caplog, "/docs").route == "/docs"  # a plain Starlette route
    assert _access(caplog, "/app/index.html").route == "/app/{path}"  # the page's static mount


def test_formatters_carry_the_context() -> None:
    record = logging.makeLogRecord(
        {
            "name": "dynamic_mcp.access",
            "levelno": logging.INFO,
            "levelname": "INFO",
            "msg": "GET %s 200",
            "args": ("/api/me",),
            "request_id": "r-1",
            "user_id": "u-1",
            "route": "/api/me",
            "status": 200,
            "latency_ms": 1.5,
            "input_tokens": 0,
        }
    )
    entry = json.loads(JsonFormatter().format(record))
    assert entry["request_id"] == "r-1" and entry["user_id"] == "u-1"
    assert (entry["route"], entry["status"], entry["latency_ms"]) == ("/api/me", 200, 1.5)
    assert entry["input_tokens"] == 0  # zero counts are kept, only None is dropped
    assert "[r-1 user=u-1] GET /api/me 200" in DevFormatter().format(record)
    anonymous = logging.makeLogRecord({"msg": "hello", "request_id": None, "user_id": None})
    assert "[-] hello" in DevFormatter().format(anonymous)


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def fake() -> AsyncIterator[FakeAnthropic]:
    async with FakeAnthropic() as server:
        yield server


async def test_model_usage_logged_per_call_and_per_turn(
    fake: FakeAnthropic,
    database: Database,
    settings: Settings,
    make_user: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    runtime = ChatRuntime.create(
        make_settings(
            settings.data_dir,
            anthropic_api_key="sk-ant-test-key",
            anthropic_base_url=fake.url,
            anthropic_model=MODEL,
            model_max_retries=0,
        )
    )
    try:
        user = await make_user()
        fake.add(tool_reply(("no_such_tool", {})), text_reply("Done."))
        session_id = await service.open_turn(database, user, None, "hello")
        result = await service.run_chat_turn(runtime, database, user, session_id)
    finally:
        await runtime.model.aclose()
    assert result["reply"] == "Done." and fake.remaining == 0

    calls = [r for r in caplog.records if r.name == "orchestrator.model_client"]
    assert len(calls) == 2
    for record in calls:  # the fake server reports 10 in / 5 out / no cache per call
        assert record.model == MODEL
        assert (record.input_tokens, record.output_tokens) == (10, 5)
        assert (record.cache_read_input_tokens, record.cache_creation_input_tokens) == (0, 0)
    [turn] = [r for r in caplog.records if r.name == "chat.service"]
    assert (turn.model, turn.model_calls, turn.outcome) == (MODEL, 2, "ok")
    assert (turn.input_tokens, turn.output_tokens) == (20, 10)
    assert (turn.cache_read_input_tokens, turn.cache_creation_input_tokens) == (0, 0)
    assert json.loads(JsonFormatter().format(turn))["output_tokens"] == 10


class _NoUsageModel:
    async def respond(self, **_: Any) -> ModelResponse:
        return ModelResponse([{"type": "text", "text": "hi"}])  # like the offline planner

    async def aclose(self) -> None:
        return None


async def test_usage_meter_counts_zero_without_usage() -> None:
    meter = UsageMeter(_NoUsageModel())
    await meter.respond(system=[], messages=[], tools=[])
    assert meter.calls == 1
    assert meter.totals == {
        "input_tokens": 0,
        "output_tokens": 0,
        "cache_read_input_tokens": 0,
        "cache_creation_input_tokens": 0,
    }
