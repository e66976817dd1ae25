"""The FastAPI application factory and its lifespan (database, migrations, domain hooks)."""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from agents.service import agents_lifespan
from agents.token_refresh import token_refresher
from auth.sign_in_links import offer_link_at_start
from catalog.loader import ensure_catalog_loaded
from catalog.runtimes import detect_host
from chat.service import ChatRuntime
from core.config import Settings, get_settings
from core.db.database import Database
from core.errors import install_error_handlers
from core.logging_setup import configure_logging
from credentials.keys import check_credentials_key
from credentials.log_redaction import install_log_redaction
from dynamic_mcp import __version__
from dynamic_mcp.api.routes import agents as agents_routes
from dynamic_mcp.api.routes import auth as auth_routes
from dynamic_mcp.api.routes import chat as chat_routes
from dynamic_mcp.api.routes import credentials as credentials_routes
from dynamic_mcp.api.routes import health
from dynamic_mcp.api.routes import oauth as oauth_routes
from dynamic_mcp.api.routes import workflows as workflows_routes
from dynamic_mcp.middleware import install_web
from dynamic_mcp.middleware.request import BodySizeLimitMiddleware, RequestIdMiddleware
from dynamic_mcp.middleware.text_guard import TextGuardMiddleware
from workflows.runtime import workflows_lifespan

log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None, database: Database | None = None) -> FastAPI:
    """Build the app. ``database`` lets tests share one already-open database."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        configure_logging(settings.log_level, settings.json_logs)
        install_log_redaction()
        db = database or await Database.open(settings)
        app.state.db = db
        await check_credentials_key(db, settings)  # refuse to start with a wrong/missing key
        await ensure_catalog_loaded(db, settings)  # the bundled catalog, when none is loaded yet
        await offer_link_at_start(db, settings)  # local mode: the operator's sign-in link
        await detect_host(db, settings.host_runtimes)  # npx/uvx/docker here: what search offers
        chat_runtime = app.state.chat_runtime = ChatRuntime.create(settings)  # one model client
        try:
            async with (
                agents_lifespan(app) as supervisor,  # reconcile agents at start, stop all at end
                token_refresher(db, supervisor),  # OAuth tokens of running agents stay fresh
                workflows_lifespan(db, settings, supervisor) as engine,  # runs, on any instance
            ):
                app.state.workflow_engine = engine
                chat_runtime.agents = supervisor  # the chat's tools start agents here too
                yield
        finally:
            await chat_runtime.model.aclose()
            if database is None:
                await db.close()

    app = FastAPI(
        title="Dynamic MCP Agent API",
        version=__version__,
        summary="Turn a plain-language workflow into a working, credentialed MCP agent.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    install_error_handlers(app)
    app.add_middleware(TextGuardMiddleware)  # no NUL in any text (inside the size limit)
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes)
    install_web(app, settings)  # /app page, rate limits, security headers
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_credentials=True,
            allow_methods=["*"],
            allow_headers=["Authorization", "Content-Type", "Accept", "X-Request-ID"],
            expose_headers=["Retry-After", "X-Request-ID"],  # readable by the JS client
        )
    app.add_middleware(RequestIdMiddleware)
    app.include_router(health.router)
    app.include_router(chat_routes.router)
    app.include_router(auth_routes.router)
    app.include_router(credentials_routes.router)
    app.include_router(agents_routes.router)
    app.include_router(workflows_routes.router)
    app.include_router(oauth_routes.router)
    return app
