"""The agent runtime interface: what the rest of the service needs from wherever agents run.

The local sandboxed runtime (``agents.supervisor.Supervisor``) is the first implementation; a
second one (e.g. one Kubernetes pod per agent) implements the same five operations.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from agents.a2a_client import A2AClient
from agents.agent_config import AgentConfig

StatusCallback = Callable[[str, dict[str, Any]], Awaitable[None]]
ProgressCallback = Callable[[dict[str, Any]], Awaitable[None]]


@dataclass
class RunningAgent:
    """One live agent: its process tree, where it works, how to reach it, what it offers."""

    agent_id: str
    user_id: str
    directory: Path
    process: asyncio.subprocess.Process
    client: A2AClient
    sandbox: str
    servers: list[dict[str, Any]] = field(default_factory=list)
    tools: list[dict[str, Any]] = field(default_factory=list)
    last_used: float = field(default_factory=time.monotonic)
    stopping: bool = False
    watcher: asyncio.Task[None] | None = None

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def alive(self) -> bool:
        return self.process.returncode is None


class AgentRuntime(Protocol):
    """Start, stop, inspect, talk to and read the logs of a user's agents."""

    async def start(
        self,
        agent_id: str,
        user_id: str,
        config: AgentConfig,
        secrets_env: dict[str, str],
        on_progress: ProgressCallback | None = None,
    ) -> RunningAgent: ...

    async def stop(self, agent_id: str) -> bool: ...

    def get(self, agent_id: str) -> RunningAgent | None: ...

    async def send(self, agent_id: str, message: str, context_id: str | None) -> str: ...

    def log_text(self, agent_id: str) -> str: ...
