"""Health endpoints: service summary, liveness and readiness."""

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from catalog.runtimes import host_runtimes
from core.browser import browser_path, browser_warning
from core.db.migrations import pending_migrations
from dynamic_mcp import __version__
from dynamic_mcp.api.deps import DB, AppSettings

router = APIRouter(tags=["health"])


class Health(BaseModel):
    service: str
    version: str
    database: str


@router.get("/", response_model=Health, summary="Service health")
async def health(db: DB) -> Health:
    """Name, version and whether the database answers. Always 200 while the process runs."""
    reachable = await db.ping()
    database = "ok" if reachable else "unavailable"
    return Health(service="dynamic-mcp", version=__version__, database=database)


@router.get("/healthz", summary="Liveness")
async def healthz() -> dict[str, str]:
    """The process is up and serving requests."""
    return {"status": "ok"}


@router.get("/readyz", summary="Readiness", responses={503: {"description": "Not ready"}})
async def readyz(request: Request, db: DB, settings: AppSettings) -> JSONResponse:
    """Ready when the database answers and every migration is applied; 503 otherwise.
    ``runtimes`` reports what this host can run MCP servers with (it does not gate readiness:
    a host without Docker is ready, it is only offered fewer servers), ``browser`` the Chromium
    agents' browser servers drive. ``warnings`` lists what an operator must know without making
    the service unready (agents without a sandbox, browser servers without a browser)."""
    checks = {"database": "unavailable", "migrations": "unknown"}
    if await db.ping():
        checks["database"] = "ok"
        try:
            async with db.pool.acquire(timeout=1) as conn:
                pending = await pending_migrations(conn, settings.sql_dir)
            checks["migrations"] = "ok" if not pending else f"pending: {', '.join(pending)}"
        except Exception:  # the database went away between the two checks
            checks["database"] = "unavailable"
    ready = all(value == "ok" for value in checks.values())
    host = await asyncio.to_thread(host_runtimes, settings.host_runtimes)  # cached at start
    body: dict[str, object] = {"status": "ready" if ready else "not_ready", "checks": checks}
    body["runtimes"] = host.as_dict()
    browser = browser_path(settings)  # what agents' browser servers drive (core.browser)
    body["browser"] = str(browser) if browser is not None else None
    supervisor = getattr(request.app.state, "agent_supervisor", None)
    warnings = supervisor.warnings() if supervisor is not None else []
    if (no_browser := browser_warning(settings)) is not None:
        warnings.append(no_browser)
    if warnings:
        body["warnings"] = warnings
    return JSONResponse(
        body,
        status_code=200 if ready else 503,
    )
