"""Entry point of a spawned agent, copied into its workspace (never imported by the service).

It runs ``fast-agent serve`` with two changes fast-agent has no option for:
- the A2A server listens on a unix socket in the workspace (``$DMCP_A2A_SOCKET``), not on a
  loopback port: only the service (and nothing in another agent's sandbox) can reach it;
- each MCP server's stderr goes to ``$DMCP_LOG_DIR/<server>.stderr`` (fast-agent sends it to
  /dev/null), so a server that fails to start can be explained with its own words;
- each conversation (A2A context, i.e. chat session) holds its own agent instance with its own
  MCP server processes, and fast-agent never frees them: at most ``$DMCP_MAX_CONVERSATIONS``
  stay live, and one idle for ``$DMCP_CONVERSATION_IDLE_SECONDS`` is disposed of (its
  processes end). The least recently used idle conversation makes room for a new one; when
  all are busy, a new one waits for a place (up to ``$DMCP_SERVER_START_SECONDS``);
- each MCP server gets ``$DMCP_SERVER_START_SECONDS`` (the agent's start timeout) to start,
  not fast-agent's fixed 10 s: on a busy machine a Python or Node server, started again for
  every new conversation, can take longer, and the message then failed with a 500.
"""

import asyncio
import os
import re
import sys
import time
from typing import Any

import uvicorn
from fast_agent.a2a import server as a2a_server
from fast_agent.mcp import logger_textio, mcp_aggregator

SOCKET = os.environ["DMCP_A2A_SOCKET"]
MAX_CONVERSATIONS = max(1, int(os.environ.get("DMCP_MAX_CONVERSATIONS", "4")))
IDLE_SECONDS = float(os.environ.get("DMCP_CONVERSATION_IDLE_SECONDS", "600"))
LOG_DIR = os.environ.get("DMCP_LOG_DIR", ".")
SERVER_START_SECONDS = float(os.environ.get("DMCP_SERVER_START_SECONDS", "10"))

_config_init = uvicorn.Config.__init__


def _unix_socket_config(self: uvicorn.Config, *args: Any, **kwargs: Any) -> None:
    kwargs["uds"] = SOCKET
    _config_init(self, *args, **kwargs)


def _stderr_file(self: Any) -> int:
    """The MCP SDK hands this descriptor to the server process as its stderr."""
    if self._devnull_fd is None:
        name = re.sub(r"[^A-Za-z0-9_.-]", "_", self.server_name)
        flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND
        self._devnull_fd = os.open(os.path.join(LOG_DIR, f"{name}.stderr"), flags, 0o600)
    return int(self._devnull_fd)


Executor: Any = a2a_server.FastAgentA2AExecutor
_acquire = Executor._acquire_instance


def _live(executor: Any, me: str) -> int:
    """Conversations held or starting, as the starting ``me`` counts them: a starting one holds
    its place from its first step, and only those that began starting before ``me`` count
    (first come, first served: a later one waits for a place, not the other way round)."""
    pending: dict[str, float] = executor.__dict__.setdefault("_dmcp_pending", {})
    mine = pending.get(me, float("inf"))
    ahead = [c for c, t in pending.items() if t <= mine and c not in executor._context_instances]
    return len(executor._context_instances) + len(ahead)


async def _dispose_idle(executor: Any, keep: str | None) -> None:
    """Dispose of conversations idle too long, and of the oldest idle ones while over the bound.

    The victims are chosen and removed with no await in between: two new conversations (or a
    new one and the reaper) choosing at once each see the other's removals, so none disposes of
    a conversation twice (that raised a KeyError, and the message failed with a 500).
    """
    used: dict[str, float] = executor.__dict__.setdefault("_dmcp_used", {})
    now = time.monotonic()
    chosen = []
    for context_id in sorted(executor._context_instances, key=lambda c: used.get(c, 0.0)):
        over = keep is not None and _live(executor, keep) > MAX_CONVERSATIONS
        idle = now - used.get(context_id, 0.0) > IDLE_SECONDS
        lock = executor._context_locks.get(context_id)
        if context_id == keep or not (over or idle) or (lock is not None and lock.locked()):
            continue
        chosen.append(executor._context_instances.pop(context_id))
        used.pop(context_id, None)
        executor._context_locks.pop(context_id, None)
    for instance in chosen:
        try:
            await executor._dispose_instance(instance)
        except Exception as exc:  # an old conversation's cleanup must not fail a new message
            print(f"could not dispose of a conversation: {exc!r}", file=sys.stderr)


async def _reap(executor: Any) -> None:
    while True:
        await asyncio.sleep(max(0.5, min(30.0, IDLE_SECONDS / 4)))
        await _dispose_idle(executor, None)


async def _bounded_acquire(self: Any, context_id: str) -> Any:
    if "_dmcp_reaper" not in self.__dict__:
        self._dmcp_reaper = asyncio.get_running_loop().create_task(_reap(self))
    used: dict[str, float] = self.__dict__.setdefault("_dmcp_used", {})
    if context_id in self._context_instances:
        used[context_id] = time.monotonic()
        return await _acquire(self, context_id)
    pending: dict[str, float] = self.__dict__.setdefault("_dmcp_pending", {})
    pending[context_id] = time.monotonic()
    try:
        # at the bound with every conversation busy, wait for one to finish (a poll, a
        # scheduled run and a chat arriving together), up to the server start budget
        deadline = time.monotonic() + SERVER_START_SECONDS
        while True:
            await _dispose_idle(self, context_id)
            if _live(self, context_id) <= MAX_CONVERSATIONS:
                break
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"This agent already holds {MAX_CONVERSATIONS} busy conversations; "
                    "try again when one of them has finished."
                )
            await asyncio.sleep(0.2)
        used[context_id] = time.monotonic()
        return await _acquire(self, context_id)
    finally:
        pending.pop(context_id, None)


if __name__ == "__main__":
    uvicorn.Config.__init__ = _unix_socket_config  # type: ignore[method-assign]
    Executor._acquire_instance = _bounded_acquire
    logger_textio.LoggerTextIO.fileno = _stderr_file  # type: ignore[method-assign]
    # the first default of the frozen dataclass's __init__ is startup_timeout_seconds
    attach_init: Any = mcp_aggregator.MCPAttachOptions.__init__
    attach_init.__defaults__ = (SERVER_START_SECONDS, *attach_init.__defaults__[1:])
    from fast_agent.cli.__main__ import main

    sys.exit(main())  # type: ignore[no-untyped-call]
