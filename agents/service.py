"""Agent use cases shared by the API routes and the model's tools.

Every database access runs as the signed-in user (RLS), except the supervisor's own status
updates and the start-up reconciliation, which use the service connection.
"""

from __future__ import annotations

import asyncio
import io
import logging
import zipfile
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import FastAPI

from agents import repository
from agents.agent_config import AgentConfig
from agents.config_builder import build_agent_config
from agents.errors import AgentError, ConfigInvalidError
from agents.process import kill_leftovers
from agents.runtime import ProgressCallback
from agents.supervisor import Supervisor
from auth.models import User
from core.config import Settings
from core.db.database import Database
from core.errors import AppError
from credentials.service import credential_status, load_user_secrets, redact_incoming_message
from oauth import service as oauth_service

log = logging.getLogger(__name__)
_LAST_USED_RESOLUTION = timedelta(minutes=1)


def agent_view(row: dict[str, Any]) -> dict[str, Any]:
    """The public shape of an agent (never its secrets)."""
    return {
        "id": str(row["id"]),
        "name": row["name"],
        "status": row["status"],
        "servers": row.get("servers") or [],
        "tools": row.get("tools") or [],
        "error": row.get("error"),
        "session_id": str(row["session_id"]) if row.get("session_id") else None,
        "created_at": row["created_at"].isoformat(),
        "updated_at": row["updated_at"].isoformat(),
    }


def _not_found() -> AppError:
    return AppError(404, "not_found", "Agent not found")


def _app_error(error: AgentError) -> AppError:
    return AppError(error.status, error.code, str(error))


async def create_config(
    db: Database,
    settings: Settings,
    user: User,
    session_id: str | None,
    servers: list[str],
    agent_name: str,
    instruction: str,
) -> dict[str, Any]:
    """Build, validate and store an agent config; ``{agent, files}`` (files without secrets)."""
    slugs = list(dict.fromkeys(s.strip() for s in servers if s and s.strip()))
    if len(slugs) != len([s for s in servers if s and s.strip()]):
        raise AppError(400, "duplicate_servers", "A server is listed more than once.")
    async with db.as_user(user.claims) as conn:
        # the entries and the names of what the user stored, in one read
        statuses = await credential_status(conn, user.id, slugs)
        if session_id is not None and not await repository.session_visible(conn, session_id):
            raise AppError(404, "not_found", "Session not found.")
    try:
        # validation imports fast-agent (~2 s, once) and writes a temp card: keep it off the loop
        config = await asyncio.to_thread(
            build_agent_config,
            [status.template for status in statuses],
            agent_name=agent_name,
            instruction=instruction,
            default_model=settings.agent_default_model,
            provided={status.template.slug: status.stored for status in statuses},
        )
    except ConfigInvalidError as error:
        log.error("generated an invalid agent config: %s", error.message)
        raise
    async with db.as_user(user.claims) as conn:
        row = await repository.save_agent(
            conn, user.id, session_id, config.name, config.to_json(), config.servers
        )
    return {"agent": agent_view(row), "files": config.files()}


def _present(row: dict[str, Any] | None) -> dict[str, Any]:
    if row is None:  # deleted between reading and updating it
        raise _not_found()
    return row


async def _owned(conn: Any, agent_id: str) -> dict[str, Any]:
    row = await repository.get_agent(conn, agent_id)  # RLS: another user's agent is invisible
    if row is None:
        raise _not_found()
    return row


async def list_agents(db: Database, user: User) -> list[dict[str, Any]]:
    async with db.as_user(user.claims) as conn:
        return [agent_view(r) for r in await repository.list_agents(conn, user.id)]


async def get_agent(db: Database, user: User, agent_id: str) -> dict[str, Any]:
    async with db.as_user(user.claims) as conn:
        return agent_view(await _owned(conn, agent_id))


async def start_agent(
    db: Database,
    supervisor: Supervisor,
    user: User,
    agent_id: str,
    on_progress: ProgressCallback | None = None,
) -> dict[str, Any]:
    """Start the agent's process (idempotent); a failure is recorded on the agent and raised.

    ``on_progress`` receives install events (``installing``/``installed`` per server package).
    """
    async with db.as_user(user.claims) as conn:
        row = await _owned(conn, agent_id)
        config = AgentConfig.from_json(row["config"])
    # OAuth tokens close to expiry are refreshed first (409 when the user must connect again)
    await oauth_service.require_fresh(
        db, supervisor.settings, user.claims, user.id, [s["slug"] for s in config.servers]
    )
    async with db.as_user(user.claims) as conn:
        values = await load_user_secrets(conn, user.id, [s["slug"] for s in config.servers])
        env = config.process_env(values)  # MissingCredentialsError is a 409 of its own
        if supervisor.get(str(row["id"])) is None:
            await repository.update_agent(conn, agent_id, status="starting", error=None)
    try:
        running = await supervisor.start(str(row["id"]), user.id, config, env, on_progress)
    except AgentError as error:
        async with db.as_user(user.claims) as conn:
            await repository.update_agent(
                conn, agent_id, status="failed", error=str(error), pid=None, port=None
            )
        raise _app_error(error) from None
    async with db.as_user(user.claims) as conn:
        row = _present(
            await repository.update_agent(
                conn,
                agent_id,
                status="running",
                error=None,
                servers=running.servers,
                tools=[t["name"] for t in running.tools],
                pid=running.pid,
                port=None,  # agents listen on a unix socket in their workspace
                last_used_at=datetime.now(UTC),
            )
        )
    return agent_view(row)


async def stop_agent(
    db: Database, supervisor: Supervisor, user: User, agent_id: str
) -> dict[str, Any]:
    async with db.as_user(user.claims) as conn:
        row = await _owned(conn, agent_id)
    await supervisor.stop(str(row["id"]))
    async with db.as_user(user.claims) as conn:
        row = _present(
            await repository.update_agent(conn, agent_id, status="stopped", pid=None, port=None)
        )
    return agent_view(row)


async def send_message(
    db: Database,
    supervisor: Supervisor,
    user: User,
    agent_id: str,
    message: str,
    session_id: str | None,
    *,
    check_session: bool = True,
) -> str:
    """The agent's reply; the conversation is the chat session's (or the agent's own).

    A ``session_id`` must be one of the caller's own chat sessions (404 otherwise): a
    conversation costs the agent processes, so nobody can open them with made-up ids. The
    service's own callers (workflow runs) name their conversations with ``check_session=False``.
    """
    async with db.as_user(user.claims) as conn:
        row = await _owned(conn, agent_id)
        if check_session and session_id and not await repository.session_visible(conn, session_id):
            raise AppError(404, "session_not_found", "Chat session not found")
        context = session_id or (str(row["session_id"]) if row.get("session_id") else None)
        # a pasted secret is kept for the session, as in the chat; the agent's model never sees it
        message = await redact_incoming_message(conn, user.id, context, message)
    try:
        reply = await supervisor.send(str(row["id"]), message, context)
    except AgentError as error:
        raise _app_error(error) from None
    now = datetime.now(UTC)
    last = row.get("last_used_at")
    if last is None or now - last > _LAST_USED_RESOLUTION:  # not one write per message
        async with db.as_user(user.claims) as conn:
            await repository.update_agent(conn, agent_id, last_used_at=now)
    return reply


async def agent_files(
    db: Database, user: User, agent_id: str, include_secrets: bool = False
) -> dict[str, str]:
    """The downloadable files; the secrets file only when asked (owner only, by RLS)."""
    async with db.as_user(user.claims) as conn:
        row = await _owned(conn, agent_id)
        config = AgentConfig.from_json(row["config"])
        files = config.files()
        if include_secrets and config.secret_refs:
            values = await load_user_secrets(conn, user.id, [s["slug"] for s in config.servers])
            files["fast-agent.secrets.yaml"] = config.secrets_yaml(values)
    return files


def zip_files(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


async def reconcile(db: Database, supervisor: Supervisor) -> int:
    """At start-up: no agent process survives a restart, so stop leftovers and say so."""
    async with db.service() as conn:
        rows = await repository.active_agents(conn)
        for row in rows:
            agent_id = str(row["id"])
            if supervisor.get(agent_id) is not None:
                continue
            await kill_leftovers(supervisor.agent_dir(agent_id))
            await repository.update_agent(
                conn,
                agent_id,
                status="stopped",
                pid=None,
                port=None,
                error="Stopped because the service restarted; start it again.",
            )
    return len(rows)


def make_status_callback(db: Database) -> Callable[[str, dict[str, Any]], Awaitable[None]]:
    async def record(agent_id: str, fields: dict[str, Any]) -> None:
        async with db.service() as conn:
            await repository.update_agent(conn, agent_id, **fields)

    return record


@asynccontextmanager
async def agents_lifespan(app: FastAPI) -> AsyncIterator[Supervisor]:
    """Lifespan hook: a supervisor for the app, reconciled at start, stopping all at shutdown.

    Needs ``app.state.db`` and ``app.state.settings``; sets ``app.state.agent_supervisor``.
    """
    db: Database = app.state.db
    supervisor = Supervisor(app.state.settings, on_change=make_status_callback(db))
    app.state.agent_supervisor = supervisor  # routes and the chat's tools use this one
    try:
        try:
            await reconcile(db, supervisor)
        except Exception:
            log.exception("could not reconcile agents at start-up")
        yield supervisor
    finally:
        ours = supervisor.agent_ids()
        await supervisor.stop_all()
        try:
            async with db.service() as conn:
                for agent_id in ours:
                    await repository.update_agent(
                        conn, agent_id, status="stopped", pid=None, port=None
                    )
        except Exception:
            log.exception("could not record stopped agents at shutdown")
