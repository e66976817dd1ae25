"""Keep running agents' OAuth tokens fresh: refresh before expiry, restart with the new token.

fast-agent sends an MCP server's ``Authorization`` header as configured when it connects and
has no way to be handed a new one, so a running agent gets a fresh access token by a restart of
its process with the refreshed value in its environment (a few seconds; each chat session's
conversation is the service's, so nothing the user sees is lost). The alternative, a local
authenticating proxy between the agent and the server, would keep tokens out of the agent but
must relay streamable HTTP and SSE for every remote server; the restart reuses the one start
path every agent already takes. A refresh the server refuses stops the agent with "connect
again"; the chat's ``request_credentials`` then offers the Connect link once more.
"""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

from agents import repository
from agents.agent_config import AgentConfig
from agents.errors import AgentError, MissingCredentialsError
from agents.supervisor import Supervisor
from core.db.database import Database
from credentials.service import load_user_secrets
from oauth import repository as oauth_repository
from oauth.errors import OAuthGrantError
from oauth.tokens import ensure_fresh

log = logging.getLogger(__name__)
_one_pass = asyncio.Lock()  # the periodic pass and a test's explicit pass never overlap


async def _restart(
    db: Database, supervisor: Supervisor, agent_id: str, user_id: str, due: set[str]
) -> bool:
    async with db.service() as conn:
        row = await repository.get_agent(conn, agent_id)
    if row is None:
        return False
    config = AgentConfig.from_json(row["config"])
    slugs = [s["slug"] for s in config.servers]
    if not due & set(slugs):
        return False
    async with db.service() as conn:
        lost = await ensure_fresh(conn, supervisor.settings, user_id, slugs)
        values = await load_user_secrets(conn, user_id, slugs)
    try:
        if lost:
            raise MissingCredentialsError({slug: ["OAuth connection"] for slug in lost})
        env = config.process_env(values)
    except MissingCredentialsError:
        await supervisor.stop(agent_id)
        names = ", ".join(lost) or "a server"
        async with db.service() as conn:
            await repository.update_agent(
                conn, agent_id, status="stopped", pid=None, port=None,
                error=f"Stopped: connect {names} again (its sign-in expired or was revoked).",
            )  # fmt: skip
        return False
    await supervisor.stop(agent_id)
    try:
        running = await supervisor.start(agent_id, user_id, config, env)
    except AgentError as error:
        async with db.service() as conn:
            await repository.update_agent(conn, agent_id, status="failed", error=str(error))
        return False
    async with db.service() as conn:
        await repository.update_agent(
            conn, agent_id, status="running", error=None, servers=running.servers,
            tools=[t["name"] for t in running.tools], pid=running.pid, port=None,
        )  # fmt: skip
    return True


async def refresh_running(
    db: Database, supervisor: Supervisor, now: datetime | None = None
) -> list[str]:
    """One pass: agents whose OAuth tokens expire within the margin get fresh tokens and a
    restart. Returns the ids of the agents restarted."""
    margin = timedelta(seconds=supervisor.settings.oauth_refresh_margin_seconds)
    async with _one_pass:
        async with db.service() as conn:
            due = await oauth_repository.expiring(conn, (now or datetime.now(UTC)) + margin)
        by_user: dict[str, set[str]] = {}
        for r in due:
            by_user.setdefault(str(r["user_id"]), set()).add(r["server_slug"])
        restarted = []
        for agent_id in supervisor.agent_ids():
            agent = supervisor.get(agent_id)
            if agent is None or agent.user_id not in by_user:
                continue
            try:
                if await _restart(db, supervisor, agent_id, agent.user_id, by_user[agent.user_id]):
                    restarted.append(agent_id)
            except OAuthGrantError as error:  # unreachable server: the next pass tries again
                log.warning("could not refresh the tokens of agent %s: %s", agent_id, error)
        return restarted


@contextlib.asynccontextmanager
async def token_refresher(db: Database, supervisor: Supervisor) -> AsyncIterator[None]:
    """Lifespan hook: a pass every ``OAUTH_REFRESH_INTERVAL_SECONDS`` while the app runs."""

    async def loop() -> None:
        while True:
            await asyncio.sleep(supervisor.settings.oauth_refresh_interval_seconds)
            try:
                await refresh_running(db, supervisor)
            except Exception:
                log.exception("OAuth token refresh pass failed")

    task = asyncio.create_task(loop(), name="oauth-token-refresher")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
