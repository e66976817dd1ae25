"""What every importer shares: slugs, descriptions, environment variable names, credentials."""

import re
from typing import Any

from catalog.credential import PathKind, looks_secret

_DIRECTORY_NAME = re.compile(r"(DIR|DIRECTORY|FOLDER|ROOT)S?$", re.IGNORECASE)


def slugify(name: str) -> str:
    slug = re.sub(r"[^a-z0-9._-]+", "-", name.strip().lower()).strip("-._")
    return slug[:100] or "server"


def description(text: str | None, name: str) -> str:
    text = re.sub(r"\s+", " ", (text or "").strip())
    if len(text) < 10:
        text = f"{name} MCP server." if not text else f"{name}: {text}"
    return text[:2000]


def var_name(name: str) -> str:
    name = re.sub(r"[^A-Za-z0-9_]", "_", name).upper()
    return name if re.match(r"[A-Za-z_]", name) else f"_{name}"


def credential(
    name: str,
    description: str | None,
    *,
    secret: bool | None = None,
    required: bool = True,
    kind: str = "env",
    example: str | None = None,
    path: PathKind | None = None,
) -> dict[str, Any]:
    desc = (description or "").strip()
    if not desc or desc.startswith("${"):
        desc = f"Value for {name}."
    cred: dict[str, Any] = {
        "name": name,
        "description": desc[:500],
        "kind": kind,
        "required": required,
        "secret": looks_secret(name) if secret is None else secret,
    }
    if example:
        cred["example"] = str(example)
    if path is not None:
        cred |= {"path": path, "secret": False}
    return cred


def path_kind(name: str, input_format: object) -> PathKind | None:
    """A registry input of format ``filepath`` names a host path: a directory when its name
    says so (``ALLOWED_DIRECTORY``, ``NOTES_DIR``), else a file."""
    if input_format != "filepath":
        return None
    return "directory" if _DIRECTORY_NAME.search(name) else "file"
