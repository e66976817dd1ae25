"""Refuse NUL characters in paths, query strings and JSON bodies before any route sees them.

Postgres text cannot hold U+0000, so a NUL that reached a query used to end in a 500; it can
also truncate strings handed to C code (paths, process arguments). No field of this API has a
use for one, so one check here covers every route, including routes added later.
"""

import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.errors import error_response

# "\u0000" in JSON, unless its backslash is itself escaped ("\\u0000" is literal text).
_ESCAPED_NUL = re.compile(rb"(?:^|[^\\])(?:\\\\)*\\u0000")
_BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def has_nul(body: bytes) -> bool:
    """Whether a JSON body holds a NUL character, raw or escaped."""
    return b"\x00" in body or _ESCAPED_NUL.search(body) is not None


class TextGuardMiddleware:
    """400 ``invalid_text`` for a NUL anywhere in the request's path, query or JSON body.

    Add it inside the body size limit: it reads the whole body (through the limit) first.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        query = scope.get("query_string", b"")
        if "\x00" in scope["path"] or b"%00" in query or b"\x00" in query:
            await _reject(scope, receive, send, "path" if "\x00" in scope["path"] else "query")
            return
        if scope["method"] not in _BODY_METHODS:
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away mid-body
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if has_nul(body):
            await _reject(scope, receive, send, "body")
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)


async def _reject(scope: Scope, receive: Receive, send: Send, where: str) -> None:
    message = f"The request's {where} contains a NUL character (\\u0000); remove it and retry."
    await error_response(400, "invalid_text", message, {"where": where})(scope, receive, send)
