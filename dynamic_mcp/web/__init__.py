"""The web chat page, the JS client module, security headers and per-user rate limits."""

from fastapi import FastAPI

from dynamic_mcp.config import Settings
from dynamic_mcp.web.identity import UserContextMiddleware
from dynamic_mcp.web.ratelimit import RateLimitMiddleware, default_rules
from dynamic_mcp.web.security import SecurityHeadersMiddleware
from dynamic_mcp.web.static import router


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
