"""Slow and oversized requests against the real server: uvicorn as ``dynamic-mcp serve`` runs it
(``dynamic_mcp.server``), on loopback, spoken to over raw sockets.

A client that sends its headers or its body too slowly (slowloris) gets 408 and loses the
connection; a chunked body over the limit gets 413, as a declared one does. No test measures
time: the deadlines are short and the reads wait far longer than them.
"""

import asyncio
import json
import socket
from collections.abc import AsyncIterator

import httpx
import pytest_asyncio
import uvicorn

from core.db.database import Database
from dynamic_mcp.app import create_app
from dynamic_mcp.server import server_config
from tests.conftest import make_settings

PATIENCE = 30.0  # how long a read waits for the server: far beyond the deadlines below


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest_asyncio.fixture(loop_scope="session")
async def server(data_dir, database: Database) -> AsyncIterator[int]:
    settings = make_settings(
        data_dir,
        http_header_timeout_seconds=1.0,
        http_body_timeout_seconds=1.0,
        max_body_bytes=1000,
        local_sign_in_link_at_start=False,
    )
    app = create_app(settings, database=database)
    port = _free_port()
    config = server_config(settings, app, "127.0.0.1", port, "127.0.0.1")
    config.lifespan = "on"
    instance = uvicorn.Server(config)
    task = asyncio.create_task(instance.serve())
    while not instance.started:
        assert not task.done(), "the server did not start"
        await asyncio.sleep(0.05)
    yield port
    instance.should_exit = True
    await task


async def _send(port: int, data: bytes) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(data)
    await writer.drain()
    return reader, writer


async def _read_all(reader: asyncio.StreamReader) -> bytes:
    """Everything until the server closes the connection."""
    return await asyncio.wait_for(reader.read(), timeout=PATIENCE)


def _status_and_body(raw: bytes) -> tuple[int, dict]:
    head, _, body = raw.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    return status, json.loads(body) if body.strip() else {}


async def test_a_normal_request_is_served(server: int) -> None:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server}") as http:
        response = await http.get("/healthz")
    assert response.status_code == 200
    assert "server" not in response.headers


async def test_headers_that_never_end_get_408_and_a_closed_connection(server: int) -> None:
    reader, writer = await _send(server, b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
    try:
        raw = await _read_all(reader)  # the server closes it; the client never finished
    finally:
        writer.close()
    status, body = _status_and_body(raw)
    assert status == 408 and body["error"]["code"] == "request_timeout"


async def test_a_trickle_of_header_bytes_does_not_keep_the_connection(server: int) -> None:
    reader, writer = await _send(server, b"GET /healthz HTTP/1.1\r\n")
    closed = asyncio.ensure_future(_read_all(reader))
    try:
        for n in range(100):  # one header line at a time, slower than any client should be
            if closed.done():
                break
            writer.write(f"X-Drip-{n}: a\r\n".encode())
            await asyncio.sleep(0.3)
        raw = await closed
    finally:
        writer.close()
    assert _status_and_body(raw)[0] == 408


async def test_a_body_that_never_ends_gets_408(server: int) -> None:
    head = (
        b"POST /api/auth/local HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: 200\r\n\r\n"
    )
    reader, writer = await _send(server, head + b'{"token": "')
    try:
        raw = await _read_all(reader)
    finally:
        writer.close()
    assert _status_and_body(raw)[0] == 408


async def test_an_oversized_chunked_body_gets_413(server: int) -> None:
    head = (
        b"POST /api/auth/local HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    )
    chunk = b'{"token": "' + b"a" * 600
    body = (
        b"%x\r\n%s\r\n" % (len(chunk), chunk) + b"%x\r\n%s\r\n" % (600, b"b" * 600) + b"0\r\n\r\n"
    )
    reader, writer = await _send(server, head + body)
    try:
        raw = await _read_all(reader)
    finally:
        writer.close()
    status, error = _status_and_body(raw)
    assert status == 413 and error["error"]["code"] == "payload_too_large"


async def test_an_oversized_chunked_body_gets_413_in_process(data_dir, database) -> None:
    """The same through the ASGI stack alone (no server): the app never sees a 400 for it."""
    settings = make_settings(data_dir, max_body_bytes=1000, local_sign_in_link_at_start=False)
    app = create_app(settings, database=database)

    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"token": "'
        for _ in range(3):
            yield b"a" * 500
        yield b'"}'

    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            response = await http.post(
                "/api/auth/local", content=chunks(), headers={"content-type": "application/json"}
            )
            small = await http.post("/api/auth/local", json={"token": "A" * 43})
    assert response.status_code == 413, response.text
    assert response.json()["error"]["code"] == "payload_too_large"
    assert small.status_code == 401  # a body under the limit reaches the route
