"""The verification record: one JSON file per entry in ``catalog/verified/``, written by
``dynamic-mcp catalog verify`` and read by the loader, which takes the tools of every entry
that started from it (so search indexes what the server really declares)."""

import json
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from catalog.models import CatalogEntry, Tool, Verified

RECORD_DIR = Path(__file__).parent / "verified"
_TOOL_DESCRIPTION_CHARS = 500


@dataclass
class ToolInfo:
    name: str
    description: str = ""


@dataclass
class Verification:
    """What starting one entry showed. ``status`` is ``started`` or a failure class."""

    slug: str
    runtime: str  # npx, uvx, docker, remote or the command
    status: str
    checked: str  # ISO date of the check
    package: str | None = None
    version: str | None = None
    seconds: float | None = None  # spawn to tools listed (includes a first install)
    tools: list[ToolInfo] = field(default_factory=list)
    detail: str = ""
    stderr_tail: str = ""
    launch: dict[str, Any] = field(default_factory=dict)  # the launch checked, to spot edits
    requires: list[str] = field(default_factory=list)  # what the entry said it needs

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Verification":
        tools = [ToolInfo(**t) for t in data.get("tools", [])]
        return cls(**{**data, "tools": tools})


def write_record(record: Verification, directory: Path = RECORD_DIR) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{record.slug}.json"
    path.write_text(json.dumps(record.as_dict(), indent=2, ensure_ascii=False) + "\n", "utf-8")
    return path


def read_records(directory: Path = RECORD_DIR) -> dict[str, Verification]:
    """The stored record, by slug (empty when none was made)."""
    if not directory.is_dir():
        return {}
    out: dict[str, Verification] = {}
    for path in sorted(directory.glob("*.json")):
        record = Verification.from_dict(json.loads(path.read_text("utf-8")))
        out[record.slug] = record
    return out


def summarize(records: list[Verification]) -> dict[str, Any]:
    """Counts of the record: total, started, by runtime (started/total) and by status, and
    ``node_uv``: the entries a host with only node and uv can run (no Docker, network at
    start or native library), with the share of them that started."""
    by_runtime: dict[str, dict[str, int]] = {}
    for r in records:
        counts = by_runtime.setdefault(r.runtime, {"total": 0, "started": 0})
        counts["total"] += 1
        counts["started"] += r.status == "started"
    plain = [r for r in records if set(r.requires) <= {"node", "uv"}]
    started = sum(r.status == "started" for r in plain)
    return {
        "total": len(records),
        "started": sum(r.status == "started" for r in records),
        "by_runtime": dict(sorted(by_runtime.items())),
        "by_status": dict(sorted(Counter(r.status for r in records).items())),
        "node_uv": {
            "total": len(plain),
            "started": started,
            "share": round(started / len(plain), 3) if plain else None,
        },
    }


def apply_records(
    entries: list[CatalogEntry], records: dict[str, Verification]
) -> list[CatalogEntry]:
    """Entries with their verification and, when they started, the tools the server declared.
    A record made for another launch (the entry was edited since) is ignored."""
    out: list[CatalogEntry] = []
    for entry in entries:
        record = records.get(entry.slug)
        if record is None or record.launch != entry.launch.model_dump(mode="json"):
            out.append(entry)
            continue
        update: dict[str, Any] = {
            "verification": Verified(
                status=record.status, checked=record.checked, version=record.version
            )
        }
        if record.status == "started":
            update["tools"] = [
                Tool(name=t.name, description=t.description[:_TOOL_DESCRIPTION_CHARS])
                for t in record.tools
            ]
        out.append(entry.model_copy(update=update))
    return out
