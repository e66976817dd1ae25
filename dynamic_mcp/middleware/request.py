"""ASGI middleware: request ids and a request body size limit."""

import logging
import time
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.errors import error_response
from core.logging_setup import request_id_var, user_id_var

log = logging.getLogger("dynamic_mcp.access")


class RequestIdMiddleware:
    """Give every request an id (``X-Request-ID``, kept when the caller's is sane); log it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        sane = 0 < len(incoming) <= 64 and incoming.isprintable()
        request_id = incoming if sane else uuid.uuid4().hex
        token = request_id_var.set(request_id)
        user_token = user_id_var.set(None)  # set by UserContextMiddleware once verified
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            latency_ms = round((time.perf_counter() - started) * 1000, 2)
            route = route_template(scope)
            user_id = scope.get("state", {}).get("user_id") or user_id_var.get()
            log.info(
                "%s %s %s %.1fms",
                scope["method"],
                route,
                status,
                latency_ms,
                extra={
                    "request_id": request_id,
                    "user_id": user_id,
                    "route": route,
                    "path": scope["path"],
                    "method": scope["method"],
                    "status": status,
                    "latency_ms": latency_ms,
                },
            )
            user_id_var.reset(user_token)
            request_id_var.reset(token)


def route_template(scope: Scope) -> str:
    """The matched route's path template (``/api/sessions/{session_id}/messages``), else ``-``.

    The router stores the matched route in ``scope["route"]``; logging the template rather than
    the raw path keeps ids out of the route field and its values few enough to aggregate.
    """
    route = scope.get("route")  # set by FastAPI's APIRoute; plain routes and mounts set none
    if route is None and (endpoint := scope.get("endpoint")) is not None:
        routes = getattr(getattr(scope.get("app"), "router", None), "routes", [])
        route = next(
            (
                r
                for r in routes
                if endpoint in (getattr(r, "endpoint", None), getattr(r, "app", None))
            ),
            None,
        )
    path = getattr(route, "path", None)
    if route is None and "app_root_path" in scope:  # a mount (the /app page files) matched
        mounted = str(scope.get("root_path", ""))[len(str(scope["app_root_path"])) :]
        path = f"{mounted}/{{path}}" if mounted else None
    return path if isinstance(path, str) and path else "-"


class BodySizeLimitMiddleware:
    """Refuse request bodies over ``max_bytes`` with a 413 in the JSON error shape.

    The body is read here, before the app runs, whether its length is declared or it comes
    chunked: raised from inside the app's own body read, the refusal would be turned into a
    400 by FastAPI's parser. Bodies are small by design (``max_bytes``), so holding one is cheap.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._reject(scope, receive, send)
            return
        chunks: list[bytes] = []
        received = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client left before its body ended: nobody to answer
            chunk = message.get("body", b"")
            received += len(chunk)
            if received > self.max_bytes:
                await self._reject(scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        pending: list[Message] = [{"type": "http.request", "body": b"".join(chunks)}]

        async def replay() -> Message:
            # the whole body first, then whatever comes next (a disconnect, for streams)
            return pending.pop() if pending else await receive()

        await self.app(scope, replay, send)

    async def _reject(self, scope: Scope, receive: Receive, send: Send) -> None:
        message = f"Request body exceeds {self.max_bytes} bytes."
        await error_response(413, "payload_too_large", message)(scope, receive, send)
