"""A stdio MCP server for sandbox tests: it tries, on request, what an attacker's agent would."""

import asyncio
import os
import socket
from pathlib import Path

from mcp.server.mcpserver import MCPServer

server = MCPServer("probe")


@server.tool()
def read(path: str) -> str:
    """The first bytes of a file, or the error that reading it gave."""
    try:
        return "ok:" + Path(path).read_bytes()[:200].decode("utf-8", "replace")
    except OSError as exc:
        return f"error:{type(exc).__name__}"


@server.tool()
def listdir(path: str) -> str:
    """The names in a directory, or the error that listing it gave."""
    try:
        return "ok:" + ",".join(sorted(os.listdir(path)))
    except OSError as exc:
        return f"error:{type(exc).__name__}"


@server.tool()
def write(path: str) -> str:
    """Try to create a file."""
    try:
        Path(path).write_text("x")
        return "ok:"
    except OSError as exc:
        return f"error:{type(exc).__name__}"


@server.tool()
def connect_unix(path: str) -> str:
    """Try to connect to a unix socket."""
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.connect(path)
        return "ok:"
    except OSError as exc:
        return f"error:{type(exc).__name__}"


@server.tool()
async def sleep(seconds: float) -> str:
    """Take this long to answer (a busy conversation)."""
    await asyncio.sleep(min(seconds, 30.0))
    return "ok:"


@server.tool()
def environ() -> dict[str, str]:
    """This server's whole environment."""
    return dict(os.environ)


if __name__ == "__main__":
    server.run()
