"""The HTTP server: uvicorn with deadlines for slow clients (slowloris).

uvicorn times out idle keep-alive connections but not a request that arrives slowly: a client
that sends one header byte every few seconds, or a body that never ends, holds its connection
for ever. This protocol gives each request's headers, and then its body, a deadline; a client
that misses it gets ``408`` and the connection is closed.
"""

import asyncio
import json
from typing import Any

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from core.config import Settings
from core.errors import error_body

_TIMEOUT_BODY = json.dumps(
    error_body("request_timeout", "The request arrived too slowly; the connection is closed.")
).encode()
_TIMEOUT_RESPONSE = (
    b"HTTP/1.1 408 Request Timeout\r\ncontent-type: application/json\r\nconnection: close\r\n"
    + f"content-length: {len(_TIMEOUT_BODY)}\r\n\r\n".encode()
    + _TIMEOUT_BODY
)


class DeadlineHttpProtocol(HttpToolsProtocol):
    """``HttpToolsProtocol`` with a deadline for the headers and one for the body."""

    header_timeout = 10.0
    body_timeout = 30.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._deadline: asyncio.TimerHandle | None = None

    def _arm(self, seconds: float) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(seconds, self._too_slow)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _too_slow(self) -> None:
        self._deadline = None
        if self.transport.is_closing():
            return
        if self.cycle is None or not self.cycle.response_started:
            self.transport.write(_TIMEOUT_RESPONSE)  # nothing else is being sent
        if self.cycle is not None and not self.cycle.response_complete:
            self.cycle.disconnected = True  # the app sees a disconnect; its sends are dropped
            self.cycle.message_event.set()
        self.transport.close()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm(self.header_timeout)  # the first request's headers, from the first byte on

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self._deadline is None:  # a later request on a kept-alive connection
            self._arm(self.header_timeout)

    def on_headers_complete(self) -> None:
        super().on_headers_complete()
        self._arm(self.body_timeout)

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._disarm()  # the response may take as long as it needs (SSE streams)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)


def protocol_for(settings: Settings) -> type[DeadlineHttpProtocol]:
    """The protocol class with the settings' deadlines (uvicorn instantiates it per connection)."""
    return type(
        "DeadlineHttpProtocol",
        (DeadlineHttpProtocol,),
        {
            "header_timeout": settings.http_header_timeout_seconds,
            "body_timeout": settings.http_body_timeout_seconds,
        },
    )


def server_config(
    settings: Settings, app: Any, host: str, port: int, forwarded_allow_ips: str
) -> uvicorn.Config:
    """How ``dynamic-mcp serve`` runs uvicorn (tests build the same server around their app)."""
    return uvicorn.Config(
        app,
        factory=isinstance(app, str),
        host=host,
        port=port,
        http=protocol_for(settings),
        proxy_headers=True,
        forwarded_allow_ips=forwarded_allow_ips,
        server_header=False,
        log_level=settings.log_level.lower(),
        access_log=False,
    )
