"""The local agent runtime: one sandboxed ``fast-agent serve`` process tree per agent.

Starts agents (install, workspace, sandbox, wait until ready), stops them, watches for crashes,
stops idle ones. Each chat session is its own conversation (A2A ``contextId``) on the agent.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import time
from pathlib import Path
from typing import Any

from agents import agent_status, installer, process, sandbox, workspace
from agents.a2a_client import A2AClient
from agents.agent_config import AgentConfig
from agents.errors import (
    AgentError,
    AgentLimitError,
    AgentModelError,
    AgentNotRunningError,
    AgentSandboxError,
    AgentStartError,
)
from agents.host_paths import checked_host_paths
from agents.runtime import ProgressCallback, RunningAgent, StatusCallback
from core.config import Settings

log = logging.getLogger(__name__)


class Supervisor:
    """Owns every agent process of this service instance (implements ``AgentRuntime``)."""

    def __init__(self, settings: Settings, on_change: StatusCallback | None = None) -> None:
        self.settings = settings
        self.on_change = on_change
        self.sandbox = sandbox.detect(settings)
        self._agents: dict[str, RunningAgent] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._starting: dict[str, str] = {}  # agent id -> user id, while spawning
        self._users: set[str] = set()  # users who ran agents here (the no-sandbox rule)
        self._reaper: asyncio.Task[None] | None = None
        if not self.sandbox.enabled:
            log.warning(
                "AGENTS RUN WITHOUT A SANDBOX (%s): an agent can read this service's keys and"
                " data. Only one user may run agents unless AGENT_ALLOW_UNSANDBOXED_MULTI_USER"
                " is set.",
                self.sandbox.reason,
            )

    # --- queries -------------------------------------------------------------------------
    def get(self, agent_id: str) -> RunningAgent | None:
        agent = self._agents.get(agent_id)
        return agent if agent is not None and agent.alive else None

    def agent_ids(self) -> list[str]:
        return list(self._agents)

    def running_for(self, user_id: str) -> list[str]:
        """The user's agents whose process tree exists right now."""
        return [a.agent_id for a in self._agents.values() if a.user_id == user_id and a.alive]

    def agent_dir(self, agent_id: str) -> Path:
        return workspace.workspace_dir(self.settings, agent_id)

    def log_text(self, agent_id: str) -> str:
        return process.log_head(workspace.log_path(self.agent_dir(agent_id)))

    def warnings(self) -> list[str]:
        """What an operator must know (shown by /readyz)."""
        if self.sandbox.enabled:
            return []
        return [f"agents run without a sandbox: {self.sandbox.reason}"]

    # --- start ---------------------------------------------------------------------------
    def _admit(self, agent_id: str, user_id: str) -> None:
        if not self.sandbox.enabled:
            if self.settings.agent_sandbox == "require":
                raise AgentSandboxError(
                    f"Agents need the sandbox, which is unavailable: {self.sandbox.reason}."
                )
            others = self._users - {user_id}
            if others and not self.settings.agent_allow_unsandboxed_multi_user:
                raise AgentSandboxError(
                    "Agents run without a sandbox on this host, so only one user may run them"
                    f" ({self.sandbox.reason}). Install bubblewrap, or set"
                    " AGENT_ALLOW_UNSANDBOXED_MULTI_USER=true to accept the risk."
                )
        others_running = {a for a in self.running_for(user_id) if a != agent_id}
        others_running |= {a for a, u in self._starting.items() if u == user_id and a != agent_id}
        if len(others_running) >= self.settings.agent_max_per_user:
            raise AgentLimitError(
                f"You already have {len(others_running)} running agents (the limit is "
                f"{self.settings.agent_max_per_user}); stop one first."
            )

    def _check_model(self, config: AgentConfig) -> None:
        # an Anthropic model with no key for agents fails inside fast-agent after the packages
        # are installed; say what to set before spending that time
        model = workspace.agent_model(self.settings, config)
        if workspace.needs_anthropic_key(model) and self.settings.agent_anthropic_api_key is None:
            raise AgentModelError(
                f"The agent's model is {model}, and this service has no AGENT_ANTHROPIC_API_KEY"
                " for agents. Set it, or set AGENT_MODEL_OVERRIDE=passthrough to run agents"
                " without a model (messages are echoed; the agent's tools still run)."
            )

    async def start(
        self,
        agent_id: str,
        user_id: str,
        config: AgentConfig,
        secrets_env: dict[str, str],
        on_progress: ProgressCallback | None = None,
    ) -> RunningAgent:
        """Start (or return the already running) agent; raises ``AgentStartError`` with a reason."""
        async with self._locks.setdefault(agent_id, asyncio.Lock()):
            running = self.get(agent_id)
            if running is not None:
                return running
            self._admit(agent_id, user_id)
            self._check_model(config)
            # before installing anything: a path that no longer passes fails the start at once
            secrets_env, shared = checked_host_paths(self.settings, config, secrets_env)
            self._users.add(user_id)
            self._starting[agent_id] = user_id
            try:
                await process.kill_leftovers(self.agent_dir(agent_id))
                config = await installer.install_packages(self.settings, config, on_progress)
                try:
                    directory = workspace.prepare(self.settings, agent_id, config)
                except OSError as exc:
                    raise AgentStartError(
                        f"Could not prepare the agent's workspace: {exc.strerror or exc}"
                    ) from exc
                agent = await self._spawn(agent_id, user_id, directory, config, secrets_env, shared)
            finally:
                self._starting.pop(agent_id, None)
            self._agents[agent_id] = agent
            agent.watcher = asyncio.create_task(self._watch(agent))
            self._ensure_reaper()
            return agent

    async def _spawn(
        self,
        agent_id: str,
        user_id: str,
        directory: Path,
        config: AgentConfig,
        secrets_env: dict[str, str],
        shared: list[Path],
    ) -> RunningAgent:
        enabled = self.sandbox.enabled
        # our launcher (copied into the workspace), run by this interpreter, which has fast-agent
        args = [sys.executable, workspace.LAUNCHER, "--no-update-check", "serve", "a2a"]
        args += ["--home", str(directory), "--instance-scope", "connection", "--name", config.name]
        if self.settings.agent_model_override:
            args += ["--model", self.settings.agent_model_override]
        if enabled:
            args = sandbox.bwrap_command(self.settings, directory, args, shared)
        env = workspace.agent_env(self.settings, directory, config, secrets_env, sandboxed=enabled)
        try:
            proc = await process.spawn(
                args,
                cwd=directory,
                env=env,
                log_path=workspace.log_path(directory),
                preexec=sandbox.limits_preexec(self.settings),
            )
        except OSError as exc:
            raise AgentStartError(f"Could not start the agent ({args[0]}): {exc}") from exc
        client = A2AClient(workspace.socket_path(directory))
        agent = RunningAgent(agent_id, user_id, directory, proc, client, self.sandbox.kind)
        try:
            await self._wait_ready(agent, config)
        except BaseException:
            await self._terminate(agent)
            raise
        agent.servers, agent.tools = agent_status.read_status(directory, config)
        return agent

    async def _wait_ready(self, agent: RunningAgent, config: AgentConfig) -> None:
        deadline = time.monotonic() + self.settings.agent_start_timeout_seconds
        status_file = agent.directory / "status.json"
        while time.monotonic() < deadline:
            if not agent.alive:
                raise AgentStartError(
                    agent_status.failure(agent.process, agent.directory, config, "failed to start")
                )
            if status_file.exists() and await agent.client.ready():
                return
            await asyncio.sleep(0.1)
        raise AgentStartError(
            f"The agent did not become ready within {self.settings.agent_start_timeout_seconds:g}"
            f" s. {process.startup_error(self.log_text(agent.agent_id))}"
        )

    async def _watch(self, agent: RunningAgent) -> None:
        """Report an agent whose process ends without being asked to, and clean up after it."""
        await agent.process.wait()
        if agent.stopping:
            return
        self._agents.pop(agent.agent_id, None)
        await process.kill_leftovers(agent.directory)
        await agent.client.aclose()
        reason = process.exit_reason(
            agent.process, "stopped unexpectedly", self.log_text(agent.agent_id)
        )
        log.warning("agent %s crashed: %s", agent.agent_id, reason)
        await self._notify(agent.agent_id, {"status": "failed", "error": reason, "pid": None})

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
        timeout = self.settings.agent_message_timeout_seconds
        try:
            return await agent.client.send(message, context_id or "default", timeout)
        except AgentError:
            raise
        except Exception as exc:
            if not agent.alive:
                raise AgentNotRunningError(
                    process.exit_reason(agent.process, "stopped", self.log_text(agent_id))
                ) from exc
            raise AgentError(f"Could not reach the agent: {exc}") from exc
        finally:
            agent.last_used = time.monotonic()

    # --- stop ----------------------------------------------------------------------------
    async def stop(self, agent_id: str) -> bool:
        """Stop the agent's process tree and anything left in its directory."""
        async with self._locks.setdefault(agent_id, asyncio.Lock()):
            agent = self._agents.pop(agent_id, None)
            if agent is None:
                await process.kill_leftovers(self.agent_dir(agent_id))
                return False
            await self._terminate(agent)
            return True

    async def _terminate(self, agent: RunningAgent) -> None:
        agent.stopping = True
        await process.terminate(agent.process)
        await process.kill_leftovers(agent.directory)  # unsandboxed servers: own sessions
        await agent.client.aclose()
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
                error = f"Stopped after {idle:g} s without messages; start it again."
                fields = {"status": "stopped", "pid": None, "port": None, "error": error}
                await self._notify(agent.agent_id, fields)
        return stopped
