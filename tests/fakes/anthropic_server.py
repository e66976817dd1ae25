"""A local HTTP server that speaks the Anthropic Messages API, scripted per test.

    async with FakeAnthropic() as fake:
        fake.add(tool_reply(("search_mcp_servers", {"queries": ["github"]})), text_reply("Done"))
        ... point settings.anthropic_base_url at fake.url ...
        assert fake.requests[0]["body"]["tools"][-1]["cache_control"] == {"type": "ephemeral"}

Each request consumes the next scripted step (plain JSON or streaming SSE, as the request asks);
every request is recorded (headers and JSON body) so tests assert what was sent. With
``default`` set, an empty script keeps answering that step (used by the benchmark).
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import uuid
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    429: "rate_limit_error",
    500: "api_error",
    503: "api_error",
    529: "overloaded_error",
}


@dataclass
class Step:
    """One scripted answer: a message (content + stop_reason) or an HTTP error."""

    content: list[dict[str, Any]] = field(default_factory=list)
    stop_reason: str = "end_turn"
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before answering (slow model)
    chunk_delay: float = 0.0  # seconds between streamed events
    stream_error_after: int | None = None  # SSE: send an overloaded error after N events


def text_reply(text: str, **kwargs: Any) -> Step:
    return Step([{"type": "text", "text": text}], "end_turn", **kwargs)


def tool_reply(*calls: tuple[str, dict[str, Any]], text: str | None = None, **kwargs: Any) -> Step:
    content: list[dict[str, Any]] = [{"type": "text", "text": text}] if text else []
    for name, arguments in calls:
        content.append(
            {
                "type": "tool_use",
                "id": f"toolu_{uuid.uuid4().hex[:20]}",
                "name": name,
                "input": arguments,
            }
        )
    return Step(content, "tool_use", **kwargs)


def error_reply(status: int, retry_after: str | None = None, **kwargs: Any) -> Step:
    headers = {"retry-after": retry_after} if retry_after is not None else {}
    return Step(status=status, headers=headers, **kwargs)


def _message(step: Step, model: str) -> dict[str, Any]:
    return {
        "id": f"msg_{uuid.uuid4().hex[:20]}",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": step.content,
        "stop_reason": step.stop_reason,
        "stop_sequence": None,
        "usage": {
            "input_tokens": 10,
            "output_tokens": 5,
            "cache_read_input_tokens": 0,
            "cache_creation_input_tokens": 0,
        },
    }


def _sse_events(step: Step, model: str) -> list[tuple[str, dict[str, Any]]]:
    message = _message(step, model)
    events = [
        (
            "message_start",
            {"type": "message_start", "message": {**message, "content": [], "stop_reason": None}},
        )
    ]
    for index, block in enumerate(step.content):
        if block["type"] == "text":
            events.append(
                (
                    "content_block_start",
                    {
                        "type": "content_block_start",
                        "index": index,
                        "content_block": {"type": "text", "text": ""},
                    },
                )
            )
            words = block["text"].split(" ")
            for i, word in enumerate(words):
                piece = word if i == 0 else " " + word
                events.append(
                    (
                        "content_block_delta",
                        {
                            "type": "content_block_delta",
                            "index": index,
                            "delta": {"type": "text_delta", "text": piece},
                        },
                    )
                )
        else:
            events.append(
                (
                    "content_block_start",
                    {
                        "type": "content_block_start",
                        "index": index,
                        "content_block": {**block, "input": {}},
                    },
                )
            )
            events.append(
                (
                    "content_block_delta",
                    {
                        "type": "content_block_delta",
                        "index": index,
                        "delta": {
                            "type": "input_json_delta",
                            "partial_json": json.dumps(block["input"]),
                        },
                    },
                )
            )
        events.append(("content_block_stop", {"type": "content_block_stop", "index": index}))
    events.append(
        (
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": step.stop_reason, "stop_sequence": None},
                "usage": {"output_tokens": 5},
            },
        )
    )
    events.append(("message_stop", {"type": "message_stop"}))
    return events


class FakeAnthropic:
    """The scripted server. Use as ``async with`` (same event loop) or ``start_in_thread()``."""

    def __init__(self, default: Step | None = None) -> None:
        self.script: deque[Step] = deque()
        self.requests: list[dict[str, Any]] = []
        self.default = default
        self.url = ""
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None
        self._thread: threading.Thread | None = None

    def add(self, *steps: Step) -> FakeAnthropic:
        self.script.extend(steps)
        return self

    @property
    def remaining(self) -> int:
        return len(self.script)

    async def _messages(self, request: Request) -> Response:
        body = await request.json()
        self.requests.append({"headers": dict(request.headers), "body": body})
        if self.script:
            step = self.script.popleft()
        elif self.default is not None:
            step = self.default
        else:
            return JSONResponse(
                {
                    "type": "error",
                    "error": {"type": "invalid_request_error", "message": "fake: script exhausted"},
                },
                400,
            )
        if step.delay:
            await asyncio.sleep(step.delay)
        if step.status != 200:
            kind = _ERROR_TYPES.get(step.status, "api_error")
            return JSONResponse(
                {"type": "error", "error": {"type": kind, "message": kind}},
                step.status,
                headers=step.headers,
            )
        if not body.get("stream"):
            return JSONResponse(_message(step, body.get("model", "")), headers=step.headers)
        return StreamingResponse(
            self._stream(step, body.get("model", "")),
            media_type="text/event-stream",
            headers=step.headers,
        )

    async def _stream(self, step: Step, model: str) -> AsyncIterator[bytes]:
        events = _sse_events(step, model)
        if not step.chunk_delay and step.stream_error_after is None:  # all at once: fastest
            yield "".join(f"event: {n}\ndata: {json.dumps(d)}\n\n" for n, d in events).encode()
            return
        for n, (name, data) in enumerate(events):
            if step.stream_error_after is not None and n == step.stream_error_after:
                error = {
                    "type": "error",
                    "error": {"type": "overloaded_error", "message": "Overloaded"},
                }
                yield f"event: error\ndata: {json.dumps(error)}\n\n".encode()
                return
            if step.chunk_delay:
                await asyncio.sleep(step.chunk_delay)
            yield f"event: {name}\ndata: {json.dumps(data)}\n\n".encode()

    def _build(self) -> tuple[uvicorn.Server, socket.socket]:
        app = Starlette(routes=[Route("/v1/messages", self._messages, methods=["POST"])])
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # inherited by accepted connections: no Nagle delay between a response's writes
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        config = uvicorn.Config(
            app,
            log_level="warning",
            lifespan="off",
            access_log=False,
            timeout_graceful_shutdown=0.2,
        )
        return uvicorn.Server(config), sock

    async def __aenter__(self) -> FakeAnthropic:
        self._server, sock = self._build()
        self._task = asyncio.create_task(self._server.serve(sockets=[sock]))
        while not self._server.started:  # noqa: ASYNC110 (uvicorn offers no event to wait on)
            await asyncio.sleep(0.005)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None and self._task is not None
        self._server.should_exit = True
        await self._task

    def start_in_thread(self) -> FakeAnthropic:
        """Serve from a background thread with its own event loop (for benchmarks)."""
        self._server, sock = self._build()
        server = self._server
        self._thread = threading.Thread(
            target=lambda: asyncio.run(server.serve(sockets=[sock])), daemon=True
        )
        self._thread.start()
        while not server.started:
            threading.Event().wait(0.01)
        return self

    def stop_thread(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(5)
