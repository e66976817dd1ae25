"""Scrub secrets from every log record: message, arguments, extras and exception text.

Redaction happens when a record is created (a wrapped log record factory), so it holds for every
handler and formatter, including ones added later. Values the service handles (stored or pasted
credentials) are registered with ``register_secret`` and redacted verbatim, on top of the
patterns of known token formats.
"""

import logging
import threading
import traceback
from collections import OrderedDict
from typing import Any

from dynamic_mcp.credentials.secrets import mask

_MAX_KNOWN = 5000
_known: OrderedDict[str, None] = OrderedDict()
_lock = threading.Lock()
_installed_factory: Any = None

_STANDARD_ATTRS = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


def register_secret(value: str) -> None:
    """Redact this exact value from all later log records (short values are ignored)."""
    if len(value) < 6:
        return
    with _lock:
        _known[value] = None
        _known.move_to_end(value)
        while len(_known) > _MAX_KNOWN:
            _known.popitem(last=False)


def redact_text(text: str) -> str:
    """``text`` with registered values and known token formats replaced by ``[redacted]``."""
    with _lock:
        known = list(_known)
    return mask(text, known)


def _redact_value(value: Any) -> Any:
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, int | float | bool) or value is None:
        return value
    text = str(value)
    cleaned = redact_text(text)
    return value if cleaned == text else cleaned


def redact_record(record: logging.LogRecord) -> logging.LogRecord:
    """Redact a record in place (keeping the shape of ``args`` that formatters rely on)."""
    if isinstance(record.msg, str):
        record.msg = redact_text(record.msg)
    elif record.msg is not None:
        record.msg = _redact_value(record.msg)
    if isinstance(record.args, tuple):
        record.args = tuple(_redact_value(a) for a in record.args)
    elif isinstance(record.args, dict):
        record.args = {k: _redact_value(v) for k, v in record.args.items()}
    if record.exc_info and record.exc_info[0] is not None and not record.exc_text:
        record.exc_text = redact_text("".join(traceback.format_exception(*record.exc_info)).rstrip())
    elif record.exc_text:
        record.exc_text = redact_text(record.exc_text)
    if record.stack_info:
        record.stack_info = redact_text(record.stack_info)
    for key, value in list(vars(record).items()):
        if key not in _STANDARD_ATTRS and isinstance(value, str):
            setattr(record, key, redact_text(value))
    return record


class SecretRedactingFilter(logging.Filter):
    """The same redaction as a filter, for handlers configured outside this process's factory."""

    def filter(self, record: logging.LogRecord) -> bool:
        redact_record(record)
        return True


def install_log_redaction() -> None:
    """Redact secrets from every log record created from now on (idempotent)."""
    global _installed_factory
    current = logging.getLogRecordFactory()
    if _installed_factory is not None and current is _installed_factory:
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        return redact_record(current(*args, **kwargs))

    _installed_factory = factory
    logging.setLogRecordFactory(factory)
