"""Test-only catalog entries, written through the catalog's own model and loader."""

from typing import Any

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
