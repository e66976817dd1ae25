"""Bring other catalogs into ours: read a file of any supported format (official registry
``server.json``, Docker registry ``server.yaml``, Claude-Desktop ``mcpServers``), convert each
document with its importer, validate, and write entries in our format."""

import json
from pathlib import Path
from typing import Any

import yaml

from catalog.import_docker import from_claude_desktop, from_docker
from catalog.import_official import from_official
from catalog.models import CatalogEntry, CatalogError, parse_entry

__all__ = ["detect_and_convert", "from_docker", "from_official", "import_file", "write_entries"]


def detect_and_convert(data: Any, source: str) -> list[dict[str, Any]]:
    """Raw catalog entries from a parsed document of any supported format."""
    if isinstance(data, list):
        return [entry for item in data for entry in detect_and_convert(item, source)]
    if not isinstance(data, dict):
        raise CatalogError(source, ["not a JSON/YAML object or list"])
    if "mcpServers" in data:
        return from_claude_desktop(data)
    if "servers" in data and isinstance(data["servers"], list):  # registry API listing
        return [
            e
            for item in data["servers"]
            for e in detect_and_convert(item.get("server", item), source)
        ]
    if "packages" in data or "remotes" in data or "version_detail" in data or "$schema" in data:
        return [from_official(data)]
    if "about" in data or "image" in data or data.get("type") in ("server", "remote"):
        return [from_docker(data)]
    if "slug" in data and "launch" in data:
        return [data]
    raise CatalogError(source, ["unknown format: expected server.json, server.yaml or mcpServers"])


def import_file(path: Path) -> tuple[list[CatalogEntry], list[str]]:
    """Convert one file; returns the valid entries and an error message per bad one."""
    text = path.read_text(encoding="utf-8")
    try:
        if path.suffix in (".yaml", ".yml"):
            documents: list[Any] = [yaml.safe_load(text)]
        elif path.suffix == ".jsonl":
            documents = [json.loads(line) for line in text.splitlines() if line.strip()]
        else:
            documents = [json.loads(text)]
    except (ValueError, yaml.YAMLError) as exc:
        return [], [f"{path}: cannot parse: {exc}"]
    if len(documents) == 1 and isinstance(documents[0], list):  # a list of server.json documents
        documents = documents[0]
    entries: list[CatalogEntry] = []
    errors: list[str] = []
    for index, document in enumerate(documents):
        source = str(path) if len(documents) == 1 else f"{path}:{index + 1}"
        try:
            raws = detect_and_convert(document, source)
        except (CatalogError, KeyError, TypeError) as exc:
            errors.append(
                str(exc) if isinstance(exc, CatalogError) else f"{source}: missing field {exc}"
            )
            continue
        for raw in raws:
            try:
                entries.append(parse_entry(raw, f"{source} ({raw.get('slug')})"))
            except CatalogError as exc:
                errors.append(str(exc))
    return entries, errors


def write_entries(entries: list[CatalogEntry], out_dir: Path) -> list[Path]:
    """Write each entry as ``<out_dir>/<slug>.json`` in our format."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for entry in entries:
        path = out_dir / f"{entry.slug}.json"
        data = entry.model_dump(mode="json", exclude_none=True)
        path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        written.append(path)
    return written
