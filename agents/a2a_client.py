"""Talking to one agent over A2A, through the unix socket in its workspace."""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Any

import httpx

from agents.errors import AgentError, AgentTimeoutError

_MAX_SOCKET_PATH = 100


class A2AClient:
    """An HTTP client bound to one agent's socket: nobody without the socket can talk to it."""

    def __init__(self, socket: Path) -> None:
        self.socket = socket
        self._dir_fd: int | None = None
        address = str(socket)
        if len(address.encode()) > _MAX_SOCKET_PATH:
            # A unix socket path holds ~107 bytes; reach a deeper one through its directory's
            # descriptor (Linux resolves /proc/self/fd/N as that directory).
            self._dir_fd = os.open(socket.parent, os.O_PATH | os.O_DIRECTORY)
            address = f"/proc/self/fd/{self._dir_fd}/{socket.name}"
        self._http = httpx.AsyncClient(
            transport=httpx.AsyncHTTPTransport(uds=address), base_url="http://agent"
        )

    async def ready(self) -> bool:
        """Whether the A2A server answers its agent card."""
        try:
            response = await self._http.get("/.well-known/agent-card.json", timeout=1.0)
        except httpx.HTTPError:
            return False
        return response.status_code == 200

    async def send(self, message: str, context_id: str, wait_seconds: float) -> str:
        """One user message into conversation ``context_id``; the agent's reply text."""
        body = {
            "message": {
                "messageId": uuid.uuid4().hex,
                "contextId": context_id,
                "role": "ROLE_USER",
                "parts": [{"text": message}],
            }
        }
        try:
            response = await self._http.post(
                "/a2a/rest/message:send",
                json=body,
                timeout=wait_seconds,
                headers={"A2A-Version": "1.0"},
            )
        except httpx.TimeoutException as exc:
            raise AgentTimeoutError(
                f"The agent did not answer within {wait_seconds:g} s;"
                " it keeps working on the message."
            ) from exc
        if response.status_code != 200:
            raise AgentError(
                f"The agent answered HTTP {response.status_code}: {response.text[:500]}"
            )
        return reply_text(response.json())

    async def aclose(self) -> None:
        await self._http.aclose()
        if self._dir_fd is not None:
            os.close(self._dir_fd)
            self._dir_fd = None


def reply_text(data: dict[str, Any]) -> str:
    """The text of an A2A ``message:send`` answer (a message, or a task with artifacts)."""

    def texts(parts: list[dict[str, Any]] | None) -> list[str]:
        return [p["text"] for p in parts or [] if isinstance(p.get("text"), str)]

    if "message" in data:
        return "\n".join(texts(data["message"].get("parts")))
    task = data.get("task") or {}
    chunks = [t for a in task.get("artifacts") or [] for t in texts(a.get("parts"))]
    if not chunks:
        chunks = texts(((task.get("status") or {}).get("message") or {}).get("parts"))
    return "\n".join(chunks)
