"""Checks on submitted credential values against a server's template.

Nothing echoes a value, except a host path's (a path is never a secret: the catalog model
keeps path credentials non-secret).
"""

import re
from collections.abc import Mapping
from typing import Any

from catalog.credential import Credential
from catalog.models import CatalogEntry
from core.config import Settings
from core.errors import AppError
from credentials.host_paths import SETTING, HostPathError, resolve_host_path, shared_dirs
from credentials.secrets import find_secrets

MAX_VALUE_CHARS = 16_384
_SAFE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]{0,63}$")


class InvalidCredential(AppError):
    """Input that cannot be stored; ``field`` names the culprit (never the value)."""

    def __init__(self, field: str, message: str, **details: Any) -> None:
        super().__init__(422, "invalid_credential", message, {"field": field, **details})
        self.field = field


def _field(name: str) -> str:
    # a secret pasted as a name must not come back in the error
    safe = _SAFE_NAME.match(name) and not find_secrets(name)
    return f"values.{name}" if safe else "values"


def validate_values(template: CatalogEntry, values: Mapping[str, Any]) -> dict[str, str]:
    """The cleaned values (stripped) or InvalidCredential for the first bad one."""
    if not values:
        raise InvalidCredential("values", "Provide at least one credential value.")
    clean: dict[str, str] = {}
    for name, value in values.items():
        where = _field(str(name))
        item = template.credential(str(name))
        if item is None:
            known = ", ".join(i.name for i in template.credentials) or "none"
            shown = f" {name!r}" if where != "values" else ""
            raise InvalidCredential(
                where, f"Unknown credential{shown} for server {template.slug!r}; expected: {known}."
            )
        clean[item.name] = _validate_value(item, where, value)
    return clean


def resolve_paths(
    template: CatalogEntry, clean: Mapping[str, str], settings: Settings
) -> dict[str, str]:
    """``clean`` with each host path replaced by the real path it names, once it passed the
    shared-folder check; InvalidCredential naming the field and the shared folders if not."""
    out = dict(clean)
    for item in template.credentials:
        if item.path is None or item.name not in out:
            continue
        try:
            out[item.name] = resolve_host_path(item.name, out[item.name], item.path, settings)
        except HostPathError as error:
            raise InvalidCredential(
                f"values.{item.name}",
                str(error),
                shared_dirs=shared_dirs(settings),
                setting=SETTING,
            ) from None
    return out


def _validate_value(item: Credential, where: str, value: Any) -> str:
    if not isinstance(value, str):
        raise InvalidCredential(where, f"{item.name} must be a string.")
    value = value.strip()
    if not value:
        raise InvalidCredential(where, f"{item.name} is empty.")
    if len(value) > MAX_VALUE_CHARS:
        raise InvalidCredential(
            where, f"{item.name} is too long (at most {MAX_VALUE_CHARS} characters)."
        )
    if "\x00" in value:
        raise InvalidCredential(where, f"{item.name} contains a NUL character.")
    if item.pattern:
        try:
            # JSON Schema's meaning: "^postgres(ql)?://" says how a value starts, "$" ends one
            matches = re.search(item.pattern, value) is not None
        except re.error:
            matches = True  # a broken template pattern must not block the user
        if not matches:
            hint = f" It should look like {item.example}." if item.example else ""
            raise InvalidCredential(where, f"{item.name} does not have the expected format.{hint}")
    return str(value)
