"""One ``fast-agent serve`` process per agent: start, probe, talk over A2A, stop, reap.

Each agent runs in its own directory (0700) which is also its fast-agent home and cwd, with a
minimal environment carrying only its owner's credentials, in its own process group, bound to a
free loopback port. Messages go over A2A with ``contextId`` = the chat session id and
``--instance-scope connection``, so each chat session is its own conversation.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import re
import shutil
import signal
import socket
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml

from agents.agent_config import AgentConfig
from core.config import Settings

log = logging.getLogger(__name__)

_HOOK_SOURCE = Path(__file__).with_name("status_hook.py")
_LOG_HEAD_BYTES = 256_000
StatusCallback = Callable[[str, dict[str, Any]], Awaitable[None]]


class AgentError(RuntimeError):
    """A problem with a user's agent that the caller should show, with an error code."""

    code = "agent_error"
    status = 409


class AgentStartError(AgentError):
    code = "agent_start_failed"
    status = 502


class AgentNotRunningError(AgentError):
    code = "agent_not_running"
    status = 409


class AgentTimeoutError(AgentError):
    code = "agent_timeout"
    status = 504


class AgentLimitError(AgentError):
    code = "agent_limit"
    status = 429


@dataclass
class RunningAgent:
    agent_id: str
    user_id: str
    directory: Path
    process: asyncio.subprocess.Process
    port: int
    servers: list[dict[str, Any]] = field(default_factory=list)
    tools: list[dict[str, Any]] = field(default_factory=list)
    last_used: float = field(default_factory=time.monotonic)
    stopping: bool = False
    watcher: asyncio.Task[None] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def fast_agent_command() -> str:
    """The ``fast-agent`` executable next to this interpreter (the project's venv)."""
    local = Path(sys.executable).parent / "fast-agent"
    return str(local) if local.exists() else (shutil.which("fast-agent") or "fast-agent")


def startup_error(log_text: str) -> str:
    """The human part of fast-agent's startup error, without Rich tracebacks."""
    head = re.split(r"[╭╰│]", log_text, maxsplit=1)[0]
    lines = [line.strip() for line in head.splitlines() if line.strip()]
    lines = [line for line in lines if not line.startswith("Visit https://fast-agent.ai")]
    if lines:
        return " ".join(lines)[:1500]
    tail = [line.strip(" │") for line in log_text.splitlines() if line.strip(" │")]
    return " ".join(tail[-8:])[:1500] or "no output"


def processes_in(directory: Path) -> list[int]:
    """Pids whose cwd or fast-agent home is ``directory`` (finds orphaned MCP servers too)."""
    marker = f"FAST_AGENT_HOME={directory}".encode()
    found: list[int] = []
    proc = Path("/proc")
    if not proc.is_dir():
        return found
    for entry in proc.iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cwd = os.readlink(entry / "cwd")
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        if cwd == str(directory) or marker in environ.split(b"\0"):
            found.append(int(entry.name))
    return found


def _signal(pids: list[int], sig: signal.Signals) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, sig)


async def kill_leftovers(directory: Path, grace: float = 2.0) -> list[int]:
    """SIGTERM, then SIGKILL, every process still working in an agent directory."""
    pids = await asyncio.to_thread(processes_in, directory)
    if not pids:
        return []
    _signal(pids, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        await asyncio.sleep(0.1)
        alive = await asyncio.to_thread(processes_in, directory)
        if not alive:
            return pids
    _signal(await asyncio.to_thread(processes_in, directory), signal.SIGKILL)
    return pids


class Supervisor:
    """Owns every agent process of this service instance."""

    def __init__(self, settings: Settings, on_change: StatusCallback | None = None) -> None:
        self.settings = settings
        self.on_change = on_change
        self.root = settings.data_dir / "agents"
        self._agents: dict[str, RunningAgent] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._starting: dict[str, str] = {}  # agent id -> user id, while spawning
        self._http = httpx.AsyncClient(timeout=settings.agent_message_timeout_seconds)
        self._reaper: asyncio.Task[None] | None = None

    # --- queries -------------------------------------------------------------------------
    def get(self, agent_id: str) -> RunningAgent | None:
        agent = self._agents.get(agent_id)
        if agent is not None and agent.process.returncode is None:
            return agent
        return None

    def agent_ids(self) -> list[str]:
        return list(self._agents)

    def running_for(self, user_id: str) -> list[str]:
        return [
            a.agent_id
            for a in self._agents.values()
            if a.user_id == user_id and a.process.returncode is None
        ]

    def agent_dir(self, agent_id: str) -> Path:
        return self.root / str(uuid.UUID(agent_id))

    # --- start ---------------------------------------------------------------------------
    async def start(
        self, agent_id: str, user_id: str, config: AgentConfig, secrets_env: dict[str, str]
    ) -> RunningAgent:
        """Start (or return the already running) agent; raises ``AgentStartError`` with a reason."""
        async with self._locks.setdefault(agent_id, asyncio.Lock()):
            running = self.get(agent_id)
            if running is not None:
                return running
            others = {a for a in self.running_for(user_id) if a != agent_id}
            others |= {a for a, owner in self._starting.items() if owner == user_id}
            if len(others) >= self.settings.agent_max_per_user:
                raise AgentLimitError(
                    f"You already have {len(others)} running agents (the limit is "
                    f"{self.settings.agent_max_per_user}); stop one first."
                )
            self._starting[agent_id] = user_id
            try:
                await kill_leftovers(self.agent_dir(agent_id))
                try:
                    directory = self._prepare_dir(agent_id, config)
                except OSError as exc:
                    raise AgentStartError(
                        f"Could not prepare the agent's workspace: {exc.strerror or exc}"
                    ) from exc
                try:
                    agent = await self._spawn(agent_id, user_id, directory, config, secrets_env)
                except AgentStartError as exc:
                    if "address already in use" not in str(exc).lower():
                        raise
                    # another process took the free port between our probe and fast-agent's bind
                    agent = await self._spawn(agent_id, user_id, directory, config, secrets_env)
            finally:
                self._starting.pop(agent_id, None)
            self._agents[agent_id] = agent
            agent.watcher = asyncio.create_task(self._watch(agent))
            self._ensure_reaper()
            return agent

    def _prepare_dir(self, agent_id: str, config: AgentConfig) -> Path:
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        directory = self.agent_dir(agent_id)
        if directory.exists():
            shutil.rmtree(directory)  # regenerate: no stale files from an earlier config
        (directory / "agent-cards").mkdir(parents=True, mode=0o700)
        directory.chmod(0o700)
        (directory / "fast-agent.yaml").write_text(self._runtime_yaml(config), encoding="utf-8")
        card = config.card_markdown({"lifecycle_hooks": {"on_start": "../status_hook.py:on_start"}})
        (directory / config.card_path).write_text(card, encoding="utf-8")
        shutil.copyfile(_HOOK_SOURCE, directory / "status_hook.py")
        return directory

    def _runtime_yaml(self, config: AgentConfig) -> str:
        """The config as spawned: stdio servers share package caches instead of one per agent."""
        data = config.config_dict()
        cache = self.settings.data_dir / "cache"
        shared = {"npm_config_cache": str(cache / "npm"), "UV_CACHE_DIR": str(cache / "uv")}
        for entry in data["mcp"]["servers"].values():
            if entry.get("transport") == "stdio":
                entry["env"] = {**shared, **(entry.get("env") or {})}
        return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)

    def _env(
        self, directory: Path, config: AgentConfig, secrets_env: dict[str, str]
    ) -> dict[str, str]:
        path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', os.defpath)}"
        env = {
            "PATH": path,
            "HOME": str(directory),
            "LANG": "C.UTF-8",
            "COLUMNS": "200",
            "FASTMCP_CHECK_FOR_UPDATES": "off",
            "FASTMCP_SHOW_SERVER_BANNER": "false",
            "DMCP_STATUS_FILE": str(directory / "status.json"),
        }
        model = self.settings.agent_model_override or config.default_model
        key = self.settings.anthropic_api_key
        if key is not None and model.startswith("anthropic."):
            env["ANTHROPIC_API_KEY"] = key.get_secret_value()  # the agent's LLM, not a user secret
        env.update(secrets_env)
        return env

    async def _spawn(
        self,
        agent_id: str,
        user_id: str,
        directory: Path,
        config: AgentConfig,
        secrets_env: dict[str, str],
    ) -> RunningAgent:
        port = free_port()
        args = [
            fast_agent_command(),
            "--no-update-check",
            "serve",
            "--home",
            str(directory),
            "--transport",
            "a2a",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--instance-scope",
            "connection",
            "--name",
            config.name,
        ]
        if self.settings.agent_model_override:
            args += ["--model", self.settings.agent_model_override]
        log_path = directory / "serve.log"
        with log_path.open("wb") as log_file:
            try:
                process = await asyncio.create_subprocess_exec(
                    *args,
                    cwd=str(directory),
                    env=self._env(directory, config, secrets_env),
                    stdin=asyncio.subprocess.DEVNULL,
                    stdout=log_file,
                    stderr=asyncio.subprocess.STDOUT,
                    start_new_session=True,
                )
            except OSError as exc:
                raise AgentStartError(f"Could not start fast-agent ({args[0]}): {exc}") from exc
        agent = RunningAgent(agent_id, user_id, directory, process, port)
        try:
            await self._wait_ready(agent)
        except BaseException:
            await self._terminate(agent)
            raise
        self._read_status(agent, config)
        return agent

    async def _wait_ready(self, agent: RunningAgent) -> None:
        deadline = time.monotonic() + self.settings.agent_start_timeout_seconds
        url = f"{agent.base_url}/.well-known/agent-card.json"
        status_file = agent.directory / "status.json"
        while time.monotonic() < deadline:
            if agent.process.returncode is not None:
                raise AgentStartError(self._exit_reason(agent, "failed to start"))
            with contextlib.suppress(httpx.HTTPError):
                response = await self._http.get(url, timeout=1.0)
                if response.status_code == 200 and status_file.exists():
                    return
            await asyncio.sleep(0.1)
        raise AgentStartError(
            f"The agent did not become ready within {self.settings.agent_start_timeout_seconds:g}"
            f" s. {startup_error(self.log_text(agent.directory))}"
        )

    def _read_status(self, agent: RunningAgent, config: AgentConfig) -> None:
        try:
            status = json.loads((agent.directory / "status.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            status = {}
        keys = [s["key"] for s in config.servers]
        tools = [t for t in status.get("tools", []) if t["name"].split("__", 1)[0] in keys]
        agent.tools = tools
        agent.servers = [
            {
                **s,
                "status": "connected",
                "tools": [
                    t["name"].split("__", 1)[1]
                    for t in tools
                    if t["name"].split("__", 1)[0] == s["key"]
                ],
            }
            for s in config.servers
        ]

    def log_text(self, directory: Path) -> str:
        """The start of the agent's log, where fast-agent prints its startup error."""
        try:
            with (directory / "serve.log").open("rb") as fh:
                return fh.read(_LOG_HEAD_BYTES).decode("utf-8", "replace")
        except OSError:
            return ""

    def _exit_reason(self, agent: RunningAgent, what: str) -> str:
        code = agent.process.returncode
        how = (
            f"was killed by signal {-code}" if code is not None and code < 0 else f"exited ({code})"
        )
        return (
            f"The agent {what}: the process {how}. {startup_error(self.log_text(agent.directory))}"
        )

    async def _watch(self, agent: RunningAgent) -> None:
        """Report an agent whose process ends without being asked to, and clean up after it."""
        await agent.process.wait()
        if agent.stopping:
            return
        self._agents.pop(agent.agent_id, None)
        await kill_leftovers(agent.directory)
        reason = self._exit_reason(agent, "stopped unexpectedly")
        log.warning("agent %s crashed: %s", agent.agent_id, reason)
        await self._notify(
            agent.agent_id, {"status": "failed", "error": reason, "pid": None, "port": None}
        )

    async def _notify(self, agent_id: str, fields: dict[str, Any]) -> None:
        if self.on_change is None:
            return
        try:
            await self.on_change(agent_id, fields)
        except Exception:
            log.exception("could not record the state of agent %s", agent_id)

    # --- messages ------------------------------------------------------------------------
    async def send(self, agent_id: str, message: str, context_id: str | None) -> str:
        """Send one user message to the agent's conversation ``context_id``; return its reply."""
        agent = self.get(agent_id)
        if agent is None:
            raise AgentNotRunningError("The agent is not running; start it first.")
        agent.last_used = time.monotonic()
        body = {
            "message": {
                "messageId": uuid.uuid4().hex,
                "contextId": context_id or "default",
                "role": "ROLE_USER",
                "parts": [{"text": message}],
            }
        }
        timeout = self.settings.agent_message_timeout_seconds
        try:
            response = await self._http.post(
                f"{agent.base_url}/a2a/rest/message:send",
                json=body,
                timeout=timeout,
                headers={"A2A-Version": "1.0"},
            )
        except httpx.TimeoutException as exc:
            raise AgentTimeoutError(
                f"The agent did not answer within {timeout:g} s; it keeps working on the message."
            ) from exc
        except httpx.HTTPError as exc:
            if agent.process.returncode is not None:
                raise AgentNotRunningError(self._exit_reason(agent, "stopped")) from exc
            raise AgentError(f"Could not reach the agent: {exc}") from exc
        finally:
            agent.last_used = time.monotonic()
        if response.status_code != 200:
            raise AgentError(
                f"The agent answered HTTP {response.status_code}: {response.text[:500]}"
            )
        return reply_text(response.json())

    # --- stop ----------------------------------------------------------------------------
    async def stop(self, agent_id: str) -> bool:
        """Stop the agent's process group and anything left in its directory."""
        async with self._locks.setdefault(agent_id, asyncio.Lock()):
            agent = self._agents.pop(agent_id, None)
            if agent is None:
                await kill_leftovers(self.agent_dir(agent_id))
                return False
            await self._terminate(agent)
            return True

    async def _terminate(self, agent: RunningAgent, grace: float = 5.0) -> None:
        agent.stopping = True
        process = agent.process
        if process.returncode is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), grace)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(process.pid, signal.SIGKILL)
                await process.wait()
        await kill_leftovers(agent.directory)  # MCP servers run in their own sessions
        if agent.watcher is not None and agent.watcher is not asyncio.current_task():
            agent.watcher.cancel()

    async def stop_agents(self) -> list[str]:
        """Stop every running agent; returns their ids."""
        ids = list(self._agents)
        await asyncio.gather(*(self.stop(agent_id) for agent_id in ids), return_exceptions=True)
        return ids

    async def stop_all(self) -> None:
        """Stop every agent and the reaper (service shutdown)."""
        if self._reaper is not None:
            self._reaper.cancel()
        await self.stop_agents()
        await self._http.aclose()

    # --- idle reaper ---------------------------------------------------------------------
    def _ensure_reaper(self) -> None:
        if self._reaper is None or self._reaper.done():
            self._reaper = asyncio.create_task(self._reap_idle())

    async def _reap_idle(self) -> None:
        while self._agents:
            idle = self.settings.agent_idle_timeout_seconds
            await asyncio.sleep(max(0.2, min(30.0, idle / 4)))
            await self.reap_idle()

    async def reap_idle(self) -> list[str]:
        """Stop every agent idle for longer than the idle timeout; they can be started again."""
        idle = self.settings.agent_idle_timeout_seconds
        now = time.monotonic()
        stopped = []
        for agent in list(self._agents.values()):
            if now - agent.last_used > idle and await self.stop(agent.agent_id):
                log.info("stopped idle agent %s", agent.agent_id)
                stopped.append(agent.agent_id)
                await self._notify(
                    agent.agent_id,
                    {
                        "status": "stopped",
                        "pid": None,
                        "port": None,
                        "error": f"Stopped after {idle:g} s without messages; start it again.",
                    },
                )
        return stopped


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


_current: Supervisor | None = None


def install_supervisor(supervisor: Supervisor | None) -> None:
    global _current
    _current = supervisor


def get_supervisor(settings: Settings) -> Supervisor:
    """The process-wide supervisor (created by the app's lifespan, or lazily here)."""
    global _current
    if _current is None:
        _current = Supervisor(settings)
    return _current
