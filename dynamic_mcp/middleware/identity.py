"""Who is calling: the verified user id of the bearer token, for logs and rate limits.

Routes still verify the token themselves (``CurrentUser``); this only labels the request, so
an invalid or missing token leaves it anonymous and the route answers 401 as usual.
"""

from fastapi import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from auth.verify import get_verifier
from core.errors import AppError
from core.logging_setup import user_id_var


async def verified_user_id(scope: Scope) -> str | None:
    request = Request(scope)
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    try:
        claims = await get_verifier(request).verify(token.strip())
    except AppError:
        return None
    return str(claims["sub"])


class UserContextMiddleware:
    """Put the verified user id in ``scope["state"]["user_id"]`` and the logging context."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith("/api/"):
            user_id = await verified_user_id(scope)
            scope.setdefault("state", {})["user_id"] = user_id
            if user_id:
                # Set in this task's context, so the access log line written after the
                # response (by RequestIdMiddleware, further out) carries it too.
                user_id_var.set(user_id)
        await self.app(scope, receive, send)
