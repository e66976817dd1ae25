"""Scrub secrets from every log record: message, arguments, extras and exception text.

Redaction happens when a record is created (``Logger.makeRecord`` is wrapped), so it holds for
every handler and formatter, including ones added later. Values the service handles (stored or
pasted credentials) are registered with ``register_secret`` and redacted verbatim, on top of the
patterns of known token formats.
"""

import logging
import threading
import traceback
from collections import OrderedDict
from typing import Any

from credentials.secrets import mask

_MAX_KNOWN = 5000
_KEY = 8  # registered values are at least this long
_known: OrderedDict[str, None] = OrderedDict()
# values by their last characters (a token's random tail, where prefixes like "sk-ant-" are
# shared): a log line is scanned once, whatever the number of values
_by_suffix: dict[str, set[str]] = {}
_lock = threading.Lock()
_installed: Any = None

_STANDARD_ATTRS = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
}


def register_secret(value: str) -> None:
    """Redact this exact value from all later log records (short values are ignored)."""
    if len(value) < _KEY:
        return
    with _lock:
        _known[value] = None
        _known.move_to_end(value)
        _by_suffix.setdefault(value[-_KEY:], set()).add(value)
        while len(_known) > _MAX_KNOWN:
            old, _ = _known.popitem(last=False)
            bucket = _by_suffix.get(old[-_KEY:], set())
            bucket.discard(old)
            if not bucket:
                _by_suffix.pop(old[-_KEY:], None)


def _known_spans(text: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    with _lock:
        if not _by_suffix:
            return spans
        for end in range(_KEY, len(text) + 1):
            for value in _by_suffix.get(text[end - _KEY : end], ()):
                if text.endswith(value, 0, end):
                    spans.append((end - len(value), end))
    return spans


def redact_text(text: str) -> str:
    """``text`` with registered values and known token formats replaced by ``[redacted]``."""
    return mask(text, extra_spans=_known_spans(text))


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
        formatted = "".join(traceback.format_exception(*record.exc_info)).rstrip()
        record.exc_text = redact_text(formatted)
        if record.exc_text != formatted:
            # a formatter that re-formats exc_info itself would bring the secret back
            record.exc_info = None
    elif record.exc_text:
        record.exc_text = redact_text(record.exc_text)
    if record.stack_info:
        record.stack_info = redact_text(record.stack_info)
    for key, value in list(vars(record).items()):
        if key not in _STANDARD_ATTRS:
            setattr(record, key, _redact_value(value))
    return record


class SecretRedactingFilter(logging.Filter):
    """The same redaction as a filter, for handlers configured outside this process's factory."""

    def filter(self, record: logging.LogRecord) -> bool:
        redact_record(record)
        return True


def install_log_redaction() -> None:
    """Redact secrets from every log record created from now on (idempotent).

    ``Logger.makeRecord`` is wrapped rather than the record factory because ``extra`` fields are
    attached after the factory runs.
    """
    global _installed
    if _installed is not None and logging.Logger.makeRecord is _installed:
        return
    original = logging.Logger.makeRecord

    def make_record(self: logging.Logger, *args: Any, **kwargs: Any) -> logging.LogRecord:
        return redact_record(original(self, *args, **kwargs))

    _installed = make_record
    logging.Logger.makeRecord = make_record  # type: ignore[method-assign]
