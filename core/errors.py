"""One error type and one JSON shape for every failure the API reports.

Every error response body is ``{"error": {"code": str, "message": str, "details": ...}}``.
"""

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger(__name__)

_STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
    500: "internal_error",
    502: "bad_gateway",
    503: "service_unavailable",
    504: "gateway_timeout",
}


class ErrorInfo(BaseModel):
    code: str = Field(description="A stable machine-readable code, e.g. `not_found`.")
    message: str = Field(description="What went wrong, in words for a person.")
    details: Any = Field(default=None, description="Extra structured context, or null.")


class ErrorResponse(BaseModel):
    """The body of every error response."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"error": {"code": "not_found", "message": "Session not found.", "details": None}}
            ]
        }
    )

    error: ErrorInfo


_DESCRIPTIONS = {
    400: "Bad request (e.g. an invalid pagination cursor)",
    401: "Missing, invalid or expired bearer token",
    403: "Not allowed in this server's configuration",
    404: "Not found, or not yours",
    409: "Conflict with the current state (e.g. missing credentials, agent not running)",
    413: "Request body too large",
    422: "Invalid request: `details` lists each problem's location and reason",
    429: "Rate limited: retry after the `Retry-After` header's seconds",
    500: "Unexpected server error",
    502: "An upstream service (model, identity provider, agent) failed",
    503: "An upstream service is busy or unavailable; try again",
    504: "An upstream service did not answer in time",
}
_RETRY_AFTER = {
    "Retry-After": {"description": "Seconds to wait before retrying", "schema": {"type": "integer"}}
}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses=`` for the error statuses a route can return (``ErrorResponse``)."""
    responses: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        entry: dict[str, Any] = {
            "model": ErrorResponse,
            "description": _DESCRIPTIONS.get(status, "Error"),
        }
        if status == 429:
            entry["headers"] = _RETRY_AFTER
        responses[status] = entry
    return responses


class AppError(Exception):
    """An error with an HTTP status, a stable machine code and a message for a person."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: Any = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        self.headers = headers


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    """The JSON body shared by every error response."""
    return {"error": {"code": code, "message": message, "details": details}}


def error_response(
    status: int, code: str, message: str, details: Any = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(error_body(code, message, details), status_code=status, headers=headers)


def _validation_details(exc: RequestValidationError) -> list[dict[str, Any]]:
    # Echoing the rejected input back could reflect a secret: report where and why only.
    return [
        {"loc": list(err.get("loc", ())), "msg": err.get("msg", ""), "type": err.get("type", "")}
        for err in exc.errors()
    ]


def install_error_handlers(app: FastAPI) -> None:
    """Render AppError, HTTP errors, validation errors and crashes in the one JSON shape."""

    @app.exception_handler(AppError)
    async def _app_error(_: Request, exc: AppError) -> JSONResponse:
        return error_response(exc.status, exc.code, exc.message, exc.details, exc.headers)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _STATUS_CODES.get(exc.status_code, "error")
        message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
        return error_response(exc.status_code, code, message, headers=getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        details = _validation_details(exc)
        first = details[0] if details else {"loc": [], "msg": "invalid request"}
        where = ".".join(str(part) for part in first["loc"] if part != "body") or "request"
        return error_response(422, "validation_error", f"{where}: {first['msg']}", details)

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return error_response(500, "internal_error", "Something went wrong on our side.")
