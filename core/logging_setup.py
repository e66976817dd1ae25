"""Logging: readable lines in development, JSON lines in production."""

import json
import logging
import sys
from contextvars import ContextVar
from datetime import UTC, datetime

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)
user_id_var: ContextVar[str | None] = ContextVar("user_id", default=None)


class _ContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        # an explicit ``extra`` (the access line passes both) wins over the context
        if getattr(record, "request_id", None) is None:
            record.request_id = request_id_var.get()
        if getattr(record, "user_id", None) is None:
            record.user_id = user_id_var.get()
        return True


class DevFormatter(logging.Formatter):
    """Readable development lines: ``time level logger [request_id user=user_id] message``."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s [%(context)s] %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        request_id = getattr(record, "request_id", None) or "-"
        user_id = getattr(record, "user_id", None)
        record.context = f"{request_id} user={user_id}" if user_id else request_id
        return super().format(record)


class JsonFormatter(logging.Formatter):
    """One JSON object per line, with the request context and any ``extra`` fields."""

    _STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(
            {k: v for k, v in record.__dict__.items() if k not in self._STANDARD and v is not None}
        )
        if record.exc_info:
            entry["exception"] = record.exc_text or self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def configure_logging(level: str, json_lines: bool) -> None:
    """Install one stderr handler on the root logger (idempotent)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(_ContextFilter())
    if json_lines:
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(DevFormatter())
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "_dynamic_mcp", False)]:
        root.removeHandler(old)
    handler._dynamic_mcp = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level.upper())
