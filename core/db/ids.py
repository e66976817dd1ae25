"""Ids as they arrive from URLs, tokens and tool arguments."""

import uuid


def as_uuid(value: str | uuid.UUID | None) -> uuid.UUID | None:
    """``value`` as a UUID; None when absent or not a UUID (so a lookup finds nothing)."""
    if value is None or isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None
