"""Unit tests: tool registry (schemas, validation, errors), prompt reloading, model client."""

from __future__ import annotations

import asyncio
import os
from typing import Annotated, Any

import anthropic
import httpx
import pytest
from pydantic import BaseModel, Field

from chat.service import http_error
from orchestrator.model_client import (
    AnthropicModelClient,
    ModelError,
    model_failure,
    retry_after_seconds,
)
from orchestrator.offline_planner import plan, split_needs
from orchestrator.prompts import PromptStore
from tests.conftest import make_settings
from tests.fakes.anthropic_server import FakeAnthropic, error_reply, text_reply
from tools import ToolContext, ToolError, ToolRegistry, default_registry, tool


class Window(BaseModel):
    start: str
    days: int = 1


async def plan_trip(
    ctx: ToolContext,
    cities: Annotated[list[str], Field(min_length=1)],
    window: Window,
    budget: float | None = None,
) -> dict[str, Any]:
    """Plan a trip through some cities.

    Longer guidance for the model.

    Args:
        cities: Cities to visit, in order.
        window: When to travel; a window
            with a start date.
        budget: Optional budget in euros.

    Returns:
        The plan.
    """
    ctx.emit({"type": "planned"})
    return {"cities": cities, "days": window.days, "summary": f"{len(cities)} cities"}


async def leak(ctx: ToolContext) -> str:
    """Returns a token by mistake."""
    return "here: ghp_abcdefghijklmnopqrstuvwxyz0123456789"


def context() -> ToolContext:
    events: list[dict[str, Any]] = []
    return ToolContext(
        user=None,
        session_id="s",
        db=None,
        settings=None,
        emit=events.append,
        state={"events": events},
    )


def test_schema_from_signature_and_docstring() -> None:
    schema = tool(plan_trip).schema()
    assert schema["name"] == "plan_trip"
    assert schema["description"] == (
        "Plan a trip through some cities.\n\nLonger guidance for the model."
    )
    props = schema["input_schema"]["properties"]
    assert set(props) == {"cities", "window", "budget"}  # ctx is injected, not in the schema
    assert props["cities"]["description"] == "Cities to visit, in order."
    assert props["cities"]["minItems"] == 1
    assert props["window"]["description"] == "When to travel; a window with a start date."
    assert schema["input_schema"]["required"] == ["cities", "window"]
    assert schema["input_schema"]["additionalProperties"] is False
    assert "$defs" in schema["input_schema"]


def test_tool_requires_ctx_and_types() -> None:
    async def bad(x: int) -> None:
        """No ctx."""

    async def untyped(ctx: ToolContext, x) -> None:  # type: ignore[no-untyped-def]
        """No type."""

    with pytest.raises(TypeError):
        tool(bad)
    with pytest.raises(TypeError):
        tool(untyped)


async def test_run_validates_and_reports_errors() -> None:
    registry = ToolRegistry([plan_trip, leak])
    ctx = context()
    ok = await registry.run(ctx, "plan_trip", {"cities": ["Lisbon"], "window": {"start": "mon"}})
    assert not ok.is_error and ok.summary == "1 cities"
    assert ctx.state["events"] == [{"type": "planned"}]
    bad = await registry.run(ctx, "plan_trip", {"cities": [], "window": {}})
    assert bad.is_error and "cities" in bad.content and "window.start" in bad.content
    assert "call the tool again" in bad.content
    secret = await registry.run(ctx, "leak", {})
    assert "ghp_" not in secret.content and "[redacted]" in secret.content


async def test_tool_error_message_reaches_the_model() -> None:
    async def picky(ctx: ToolContext) -> None:
        """Refuses."""
        raise ToolError("Pick a server from the search results first.")

    result = await ToolRegistry([picky]).run(context(), "picky", None)
    assert result.is_error and result.content == "Pick a server from the search results first."


def test_default_registry_has_the_workflow_tools_and_caches_the_last() -> None:
    schemas = default_registry().schemas()
    assert [s["name"] for s in schemas] == [
        "search_mcp_servers",
        "request_credentials",
        "save_credential",
        "build_agent_config",
        "set_workflow",
        "create_fast_agent",
    ]
    assert schemas[-1]["cache_control"] == {"type": "ephemeral"}
    search = schemas[0]["input_schema"]["properties"]
    assert search["limit"]["maximum"] == 10 and search["queries"]["type"] == "array"


def test_prompts_reload_when_the_file_changes(tmp_path) -> None:
    path = tmp_path / "system.md"
    path.write_text("first version")
    store = PromptStore(tmp_path)
    assert store.system_blocks()[0]["text"] == "first version"
    path.write_text("second version")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert store.get("system") == "second version"
    assert store.get_optional("missing") is None
    (tmp_path / "tools").mkdir()
    (tmp_path / "tools" / "search_mcp_servers.md").write_text("Prefer official servers.")
    schemas = store.with_tool_guidance(default_registry().schemas())
    assert schemas[0]["description"].endswith("\n\nPrefer official servers.")
    assert "Prefer" not in schemas[1]["description"]


def test_retry_after_parsing_and_error_mapping() -> None:
    request = httpx.Request("POST", "http://x/v1/messages")

    def error(status: int, headers: dict[str, str]) -> anthropic.APIStatusError:
        response = httpx.Response(status, headers=headers, request=request)
        return anthropic.APIStatusError("x", response=response, body=None)

    assert retry_after_seconds(error(429, {"retry-after": "3"})) == 3.0
    assert retry_after_seconds(error(429, {"retry-after-ms": "250"})) == 0.25
    assert retry_after_seconds(error(429, {})) is None
    assert model_failure(error(529, {})).busy and model_failure(error(429, {})).busy
    assert not model_failure(error(500, {})).busy
    assert model_failure(anthropic.APIConnectionError(request=request)).code == "model_unreachable"
    assert http_error(model_failure(error(529, {}))).status == 503
    assert http_error(model_failure(error(500, {}))).status == 502


async def test_model_deadline_bounds_a_slow_model(tmp_path) -> None:
    async with FakeAnthropic() as fake:
        fake.add(text_reply("late", delay=5))
        settings = make_settings(
            tmp_path,
            anthropic_api_key="k",
            anthropic_base_url=fake.url,
            model_deadline_seconds=0.3,
            anthropic_model="claude-sonnet-4-6",
        )
        client = AnthropicModelClient(settings)
        with pytest.raises(ModelError) as caught:
            await client.respond(system=[], messages=[{"role": "user", "content": "hi"}], tools=[])
        await client.aclose()
    assert caught.value.busy and caught.value.code == "model_timeout"


def test_offline_planner_policy() -> None:
    assert split_needs("Summarise GitHub issues and post them to Slack") == [
        "Summarise GitHub issues",
        "post them to Slack",
    ]
    request = [{"type": "text", "text": "GitHub issues to Slack"}]
    first = plan([{"role": "user", "content": request}])
    call = first.content[-1]
    assert first.stop_reason == "tool_use" and call["name"] == "search_mcp_servers"
    opinion = [{"type": "text", "text": "In your opinion, is Python or Rust better to start?"}]
    answer = plan([{"role": "user", "content": opinion}])
    assert answer.stop_reason == "end_turn" and "needs no tools" in answer.content[-1]["text"]


async def test_a_hung_tool_is_stopped() -> None:
    async def hang(ctx: ToolContext) -> None:
        """Never returns."""
        await asyncio.Event().wait()

    result = await ToolRegistry([hang], timeout_seconds=0.05).run(context(), "hang", {})
    assert result.is_error and "took too long" in result.content


async def test_fake_server_speaks_plain_json_too() -> None:
    async with FakeAnthropic() as fake:
        fake.add(text_reply("plain answer"), error_reply(529, retry_after="7"))
        client = anthropic.AsyncAnthropic(api_key="k", base_url=fake.url, max_retries=0)
        message = await client.messages.create(
            model="claude-sonnet-4-6", max_tokens=10, messages=[{"role": "user", "content": "hi"}]
        )
        assert message.content[0].text == "plain answer" and message.stop_reason == "end_turn"
        with pytest.raises(anthropic.APIStatusError) as caught:
            await client.messages.create(
                model="claude-sonnet-4-6",
                max_tokens=10,
                messages=[{"role": "user", "content": "hi"}],
            )
        assert caught.value.status_code == 529 and retry_after_seconds(caught.value) == 7.0
        await client.close()
    assert not fake.requests[0]["body"].get("stream")
