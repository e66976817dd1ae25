"""Catalog auth kinds, and operator catalog folders (CATALOG_DIRS) loaded beside the bundled one."""

import json

from catalog.embedders import get_embedder
from catalog.loader import BUNDLED_DIR, catalog_sources, ensure_catalog_loaded, validate_catalog
from catalog.models import parse_entry
from catalog.search import search_servers
from tests.conftest import make_settings


def test_every_remote_entry_states_how_it_authenticates() -> None:
    entries, errors, _ = validate_catalog([BUNDLED_DIR])
    assert not errors
    remote = [e for e in entries if e.launch.transport != "stdio"]
    assert len(remote) >= 80
    for entry in remote:
        assert entry.auth in ("none", "oauth", "api_key"), entry.slug
        placed = json.dumps(entry.launch.model_dump())
        for cred in entry.credentials:  # each key goes somewhere: a header or the URL
            assert "${" + cred.name + "}" in placed, (entry.slug, cred.name)
        if entry.auth == "oauth":  # a token the user may paste instead of connecting
            assert not any(c.required for c in entry.credentials), entry.slug
        if entry.auth == "api_key":
            assert entry.credentials, entry.slug
    kinds = {e.slug: e.auth for e in remote}
    assert kinds["linear"] == kinds["notion-remote"] == kinds["github-remote"] == "oauth"
    assert kinds["hubspot"] == "api_key" and kinds["deepwiki"] == "none"
    github = next(e for e in remote if e.slug == "github-remote")
    assert [c.name for c in github.credentials] == ["GITHUB_PERSONAL_ACCESS_TOKEN"]


def test_imported_remote_entries_with_header_keys_are_api_key() -> None:
    entry = parse_entry(
        {
            "slug": "acme",
            "name": "Acme",
            "description": "An internal server of the Acme company.",
            "launch": {
                "transport": "http",
                "url": "https://mcp.acme.internal/mcp",
                "headers": {"X-Key": "${ACME_KEY}"},
            },
            "credentials": [{"name": "ACME_KEY", "description": "Acme key.", "kind": "header"}],
        },
        "acme.json",
    )
    assert entry.auth == "api_key"


async def test_catalog_dirs_are_loaded_and_searchable(database, settings, tmp_path) -> None:
    folder = tmp_path / "ops-catalog"
    folder.mkdir()
    (folder / "zorblax.json").write_text(
        json.dumps(
            {
                "slug": "zorblax-internal",
                "name": "Zorblax Inventory",
                "description": "Our private Zorblax inventory system: look up warehouse stock.",
                "tags": ["inventory", "warehouse"],
                "launch": {"transport": "http", "url": "https://zorblax.corp.example/mcp"},
                "auth": "oauth",
            }
        )
    )
    operator = make_settings(settings.data_dir, catalog_dirs=str(folder))
    assert catalog_sources(operator) == [BUNDLED_DIR, folder]
    try:
        report = await ensure_catalog_loaded(database, operator)
        assert report is not None and "zorblax-internal" in report.inserted
        assert not report.retired  # the bundled catalog stays
        async with database.as_user({"sub": "00000000-0000-0000-0000-000000000000"}) as conn:
            found = await search_servers(conn, get_embedder(operator), "zorblax warehouse stock")
        assert found[0].slug == "zorblax-internal"
    finally:
        async with database.service() as conn:
            await conn.execute("delete from public.mcp_servers where slug = 'zorblax-internal'")
