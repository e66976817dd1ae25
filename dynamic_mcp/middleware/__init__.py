"""The web chat page, the JS client module, security headers and per-user rate limits."""

from fastapi import FastAPI

from core.config import Settings
from dynamic_mcp.api.static import router
from dynamic_mcp.middleware.identity import UserContextMiddleware
from dynamic_mcp.middleware.ratelimit import RateLimitMiddleware, default_rules
from dynamic_mcp.middleware.security import SecurityHeadersMiddleware


def install_web(app: FastAPI, settings: Settings) -> None:
    """Serve ``/app``; wrap the app in rate limits, the caller's identity, security headers."""
    app.include_router(router)
    app.add_middleware(RateLimitMiddleware, rules=default_rules(settings))
    app.add_middleware(UserContextMiddleware)
    app.add_middleware(SecurityHeadersMiddleware, connect_src=_connect_sources(settings))


def _connect_sources(settings: Settings) -> list[str]:
    # The page talks to its own origin; with Supabase it also exchanges the OAuth result there.
    return [settings.supabase_url.rstrip("/")] if settings.supabase_url else []


__all__ = ["install_web"]
