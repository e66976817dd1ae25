"""A conversational fake of the Anthropic Messages API with realistic latency, for load runs.

Unlike the scripted fake in ``tests/fakes/anthropic_server.py`` (whose SSE encoding it reuses),
it answers from the conversation itself, so any number of users can talk to it at once:

    user text            -> text + tool_use search_mcp_servers
    first tool_result    -> text + tool_use request_credentials (top match), or a second search
                            when the catalog returned nothing
    second tool_result   -> final text

Each answer waits ``--ttft`` seconds (time to first token) and ``--chunk`` seconds between
streamed events. ``GET /stats`` reports the time spent answering, per turn (keyed by the turn's
user message), so the load generator can subtract model time from what it measured.

Run: ``python benchmarks/load_model_server.py --port 0`` (prints its URL on the first line).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import sys
import time
from collections import defaultdict
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from starlette.applications import Starlette  # noqa: E402
from starlette.requests import Request  # noqa: E402
from starlette.responses import JSONResponse, Response, StreamingResponse  # noqa: E402
from starlette.routing import Route  # noqa: E402

from tests.fakes.anthropic_server import (  # noqa: E402
    Step,
    _message,
    _sse_events,
    text_reply,
    tool_reply,
)


def turn_key(messages: list[dict[str, Any]]) -> str:
    """The text of the last user text block: the message that started this turn."""
    for message in reversed(messages):
        if message.get("role") != "user" or not isinstance(message.get("content"), list):
            continue
        for block in reversed(message["content"]):
            if block.get("type") == "text":
                return str(block.get("text", ""))
    return ""


def next_step(messages: list[dict[str, Any]]) -> Step:
    """The assistant's next message, decided from the conversation: two tool calls, then text."""
    steps_taken = 0
    for message in reversed(messages):
        content = message["content"] if isinstance(message["content"], list) else []
        if message["role"] == "user" and any(b.get("type") == "text" for b in content):
            break
        steps_taken += message["role"] == "assistant"
    if steps_taken == 0:
        return tool_reply(
            ("search_mcp_servers", {"queries": ["GitHub issues", "Slack"], "limit": 3}),
            text="Let me search the catalog for that.",
        )
    if steps_taken == 1:
        top = _top_server(messages[-1]["content"])
        if top:  # with a loaded catalog: check the credentials of the best match
            return tool_reply(
                ("request_credentials", {"servers": [top]}),
                text="Checking which credentials you already have.",
            )
        return tool_reply(
            ("search_mcp_servers", {"queries": ["issue tracker"], "limit": 3}),
            text="Let me search with other words.",
        )
    return text_reply(
        "Here is the plan: watch GitHub issues and post each one to Slack. "
        "Add your tokens in the form and I will build the agent."
    )


def _top_server(content: list[dict[str, Any]]) -> str | None:
    for block in content:
        if block.get("type") != "tool_result" or block.get("is_error"):
            continue
        text = block.get("content")
        if isinstance(text, list):
            text = "".join(b.get("text", "") for b in text if isinstance(b, dict))
        try:
            results = json.loads(text or "{}").get("results", [])
        except (ValueError, AttributeError):
            return None
        for result in results:
            if result.get("servers"):
                return str(result["servers"][0]["slug"])
    return None


class ModelServer:
    def __init__(self, ttft: float, chunk: float) -> None:
        self.ttft, self.chunk = ttft, chunk
        self.seconds: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)

    async def messages(self, request: Request) -> Response:
        started = time.perf_counter()
        body = await request.json()
        key = turn_key(body.get("messages", []))
        step = next_step(body["messages"])
        await asyncio.sleep(self.ttft)
        if not body.get("stream"):
            self._account(key, started)
            return JSONResponse(_message(step, body.get("model", "")))
        return StreamingResponse(
            self._stream(step, body.get("model", ""), key, started), media_type="text/event-stream"
        )

    async def _stream(
        self, step: Step, model: str, key: str, started: float
    ) -> AsyncIterator[bytes]:
        try:
            for name, data in _sse_events(step, model):
                yield f"event: {name}\ndata: {json.dumps(data)}\n\n".encode()
                await asyncio.sleep(self.chunk)
        finally:
            self._account(key, started)

    def _account(self, key: str, started: float) -> None:
        self.seconds[key] += time.perf_counter() - started
        self.calls[key] += 1

    async def stats(self, _: Request) -> JSONResponse:
        return JSONResponse({"seconds": self.seconds, "calls": self.calls})

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/v1/messages", self.messages, methods=["POST"]),
                Route("/stats", self.stats, methods=["GET"]),
            ]
        )


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--ttft", type=float, default=0.5)
    parser.add_argument("--chunk", type=float, default=0.02)
    args = parser.parse_args()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", args.port))
    print(f"http://127.0.0.1:{sock.getsockname()[1]}", flush=True)
    server = ModelServer(args.ttft, args.chunk)
    config = uvicorn.Config(server.app(), log_level="warning", access_log=False, lifespan="off")
    asyncio.run(uvicorn.Server(config).serve(sockets=[sock]))


if __name__ == "__main__":
    main()
