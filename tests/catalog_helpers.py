"""Test-only catalog entries, written through the catalog's own model and loader, as catalog
files in a folder, and a deterministic embedder for loading them."""

import hashlib
import json
import re
from pathlib import Path
from typing import Any

import numpy as np

from catalog.loader import upsert_entries
from catalog.models import CatalogEntry, parse_entry


def catalog_entry(raw: dict[str, Any]) -> CatalogEntry:
    """A catalog entry from the parts a test cares about (name and descriptions filled in)."""
    launch = dict(raw["launch"])
    launch.setdefault("transport", "stdio" if "command" in launch else "http")
    if launch["transport"] == "streamable-http":
        launch["transport"] = "http"
    data = {
        "name": raw["slug"],
        "description": f"A test server called {raw['slug']}.",
        **raw,
        "launch": launch,
        "credentials": [
            {"description": f"the {c['name']} value", **c} for c in raw.get("credentials", [])
        ],
    }
    return parse_entry(data, raw["slug"])


async def install_servers(conn: Any, *raws: dict[str, Any]) -> list[CatalogEntry]:
    """Put test servers in the catalog (live again if a test retired them)."""
    entries = [catalog_entry(raw) for raw in raws]
    await upsert_entries(conn, entries)
    return entries


class CountingEmbedder:
    """Deterministic bag-of-words vectors; counts what it was asked to embed."""

    def __init__(self, model_id: str = "fake-bow", dimensions: int = 384) -> None:
        self.model_id = model_id
        self.dimensions = dimensions
        self.texts: list[str] = []

    async def embed(self, texts: list[str]) -> list[list[float]]:
        self.texts.extend(texts)
        out = []
        for text in texts:
            vector = np.zeros(self.dimensions, dtype=np.float32)
            for word in re.findall(r"[a-z]+", text.lower()):
                vector[int(hashlib.sha256(word.encode()).hexdigest(), 16) % self.dimensions] += 1.0
            out.append((vector / max(np.linalg.norm(vector), 1e-9)).tolist())
        return out


def entry(slug: str, name: str, description: str, tools: list[str] | None = None) -> dict:
    """A catalog file's JSON for an npm server with one secret token (for ``write``)."""
    return {
        "slug": slug,
        "name": name,
        "description": description,
        "tags": [],
        "launch": {
            "transport": "stdio",
            "command": "npx",
            "args": ["-y", f"{slug}-mcp"],
            "env": {},
        },
        "credentials": [
            {"name": "TOKEN", "description": "An access token.", "secret": True, "required": True}
        ],
        "tools": [{"name": t, "description": ""} for t in tools or []],
    }


def write(folder: Path, *entries: dict) -> Path:
    """``folder`` holding exactly these catalog files (a catalog directory to load)."""
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.json"):
        old.unlink()
    for item in entries:
        (folder / f"{item['slug']}.json").write_text(json.dumps(item))
    return folder
