"""Security headers on every response, and a strict Content-Security-Policy for the page."""

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

HSTS = "max-age=63072000; includeSubDomains"
COMMON = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}


def page_csp(connect_src: list[str]) -> str:
    """The page's policy: only its own scripts and styles, no inline code, no framing."""
    directives = {
        "default-src": "'self'",
        "script-src": "'self'",
        "style-src": "'self'",
        "img-src": "'self' data: https:",
        "font-src": "'self'",
        "connect-src": " ".join(["'self'", *connect_src]),
        "object-src": "'none'",
        "base-uri": "'none'",
        "form-action": "'self'",
        "frame-ancestors": "'none'",
    }
    return "; ".join(f"{name} {value}" for name, value in directives.items())


class SecurityHeadersMiddleware:
    """Add the headers without overriding any a route set itself.

    HSTS is sent only over HTTPS: behind a proxy, uvicorn's ``--proxy-headers`` turns
    ``X-Forwarded-Proto: https`` into the request scheme, so this sees it too.
    """

    def __init__(self, app: ASGIApp, connect_src: list[str] | None = None) -> None:
        self.app = app
        self.csp = page_csp(connect_src or [])

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        is_page = path == "/app" or path.startswith("/app/")
        https = scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in COMMON.items():
                    headers.setdefault(name, value)
                if https:
                    headers.setdefault("Strict-Transport-Security", HSTS)
                if is_page:
                    headers.setdefault("Content-Security-Policy", self.csp)
                    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
            await send(message)

        await self.app(scope, receive, send_with_headers)
