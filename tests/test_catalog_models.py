"""The bundled catalog, entry validation and request splitting (no database)."""

import json
from pathlib import Path

import jsonschema
import pytest

from catalog.loader import BUNDLED_DIR, validate_catalog
from catalog.models import CatalogError, parse_entry
from catalog.search import ServerMatch, interleave, split_needs

DATA = Path(__file__).resolve().parent / "data"
SCHEMA = json.loads((BUNDLED_DIR.parent / "schema.json").read_text())

GOOD = {
    "slug": "acme-chat",
    "name": "Acme Chat",
    "description": "Post messages into Acme Chat team channels.",
    "launch": {
        "transport": "stdio",
        "command": "npx",
        "args": ["-y", "acme-chat-mcp"],
        "env": {"ACME_TOKEN": "${ACME_TOKEN}"},
    },
    "credentials": [
        {
            "name": "ACME_TOKEN",
            "description": "Bot token from the Acme admin page.",
            "secret": True,
            "required": True,
            "pattern": "^acme-",
            "example": "acme-123",
        }
    ],
    "tools": [{"name": "post_message", "description": "Post a message"}],
}


def test_bundled_catalog_is_valid_and_large() -> None:
    entries, errors, _ = validate_catalog()
    assert errors == []
    assert len(entries) >= 150
    slugs = {e.slug for e in entries}
    for must in (
        "github-official",
        "gitlab",
        "slack",
        "mcp-discord",
        "notion",
        "linear",
        "atlassian",
        "asana",
        "google-drive",
        "gmail-mcp",
        "google-calendar",
        "google-maps",
        "stripe",
        "paypal",
        "sentry",
        "grafana",
        "prometheus",
        "postgres",
        "mysql",
        "sqlite-mcp-server",
        "mongodb",
        "redis",
        "clickhouse",
        "filesystem",
        "fetch",
        "brave",
        "playwright",
        "aws-api",
        "cloudflare-docs",
        "kubernetes",
        "terraform",
        "memory",
        "time",
    ):
        assert must in slugs, must


def test_every_dev_set_slug_exists() -> None:
    slugs = {e.slug for e in validate_catalog()[0]}
    lines = [
        line
        for path in DATA.glob("catalog_*queries.jsonl")
        for line in path.read_text().splitlines()
    ]
    gold = {s for line in lines if line.strip() for g in json.loads(line)["gold_groups"] for s in g}
    assert gold
    assert gold - slugs == set()


def test_schema_json_accepts_every_bundled_file() -> None:
    validator = jsonschema.Draft202012Validator(SCHEMA)
    for path in sorted(BUNDLED_DIR.glob("*.json")):
        errors = list(validator.iter_errors(json.loads(path.read_text())))
        assert not errors, f"{path.name}: {errors[0].message}"
        assert path.stem == json.loads(path.read_text())["slug"]


def test_time_server_runs_with_uvx_and_needs_nothing() -> None:
    entry = parse_entry(json.loads((BUNDLED_DIR / "time.json").read_text()), "time.json")
    assert entry.launch.command == "uvx" and entry.launch.args == ["mcp-server-time==2026.10.19"]
    assert entry.requires == ["uv"]
    assert entry.credentials == []


def test_credential_patterns_accept_their_examples() -> None:
    import re

    for entry in validate_catalog()[0]:
        for cred in entry.credentials:
            if cred.pattern and cred.example:
                assert re.fullmatch(cred.pattern, cred.example), (entry.slug, cred.name)


def test_validation_error_names_the_file_and_field() -> None:
    bad = {
        **GOOD,
        "slug": "Not A Slug",
        "launch": {"transport": "http", "url": "ftp://x"},
        "credentials": [{**GOOD["credentials"][0], "pattern": "("}],
    }
    with pytest.raises(CatalogError) as caught:
        parse_entry(bad, "servers/acme.json")
    message = str(caught.value)
    assert message.startswith("servers/acme.json: ")
    assert "slug" in message and "launch.http.url" in message
    assert "credentials.0.pattern" in message and "regular expression" in message


def test_unknown_fields_and_duplicate_credentials_are_rejected() -> None:
    with pytest.raises(CatalogError, match="secrets"):
        parse_entry({**GOOD, "secrets": []}, "x.json")
    with pytest.raises(CatalogError, match="duplicate"):
        parse_entry({**GOOD, "credentials": GOOD["credentials"] * 2}, "x.json")


def test_one_bad_file_does_not_stop_the_rest(tmp_path: Path) -> None:
    (tmp_path / "good.json").write_text(json.dumps(GOOD))
    (tmp_path / "bad.json").write_text(json.dumps({**GOOD, "slug": "other", "description": ""}))
    (tmp_path / "broken.json").write_text("{not json")
    entries, errors, bad_slugs = validate_catalog([tmp_path])
    assert [e.slug for e in entries] == ["acme-chat"]
    assert len(errors) == 2 and any("bad.json: description" in e for e in errors)
    assert bad_slugs == {"other"}


def test_content_hash_changes_only_with_content() -> None:
    a = parse_entry(GOOD, "a")
    assert a.content_hash() == parse_entry(json.loads(json.dumps(GOOD)), "b").content_hash()
    assert a.content_hash() != parse_entry({**GOOD, "name": "Acme"}, "c").content_hash()


@pytest.mark.parametrize(
    ("request_text", "needs"),
    [
        (
            "Summarise new GitHub issues and post the summary to Slack",
            ["Summarise new GitHub issues", "post the summary to Slack"],
        ),
        (
            "Find flights to Berlin, then check the weather there",
            # "Find" names nothing; each clause also gets its capability's phrase
            [
                "find flights to Berlin",
                "check the weather there",
                "search flights and fares",
                "weather forecast",
            ],
        ),
        (
            "Browse to our staging site, log in and take screenshots",
            ["Browse to our staging site, log in", "take screenshots", "automate a web browser"],
        ),
        (
            "Answer questions about data in our ClickHouse warehouse.",
            ["Answer questions about data in our ClickHouse warehouse"],
        ),
    ],
)
def test_split_needs(request_text: str, needs: list[str]) -> None:
    assert split_needs(request_text) == needs


def test_interleave_gives_every_need_its_best_first() -> None:
    def m(slug: str) -> ServerMatch:
        return ServerMatch(slug, slug, "", 0.0, "vector")

    merged = interleave([[m("github"), m("gitlab"), m("slack")], [m("slack"), m("discord")]], 3)
    assert [x.slug for x in merged] == ["github", "slack", "gitlab"]


def test_vector_cache_matches_the_live_model() -> None:
    import numpy as np

    from catalog.embedders import LocalEmbedder
    from catalog.vector_cache import cached_vectors

    embedder = LocalEmbedder()
    entries = validate_catalog()[0]
    texts = [e.embedding_text() for e in entries[:: len(entries) // 4]]
    cached = cached_vectors(embedder.model_id, texts)
    assert set(cached) == set(texts), "run: python -m catalog.vector_cache"
    for text, live in zip(texts, embedder.embed_sync(texts), strict=True):
        assert float(np.dot(cached[text], live)) > 0.999


def test_host_path_credentials_are_marked_plain_and_only_where_the_server_runs_here() -> None:
    entries = {e.slug: e for e in validate_catalog()[0]}
    marked = {(e.slug, c.name): c.path for e in entries.values() for c in e.credentials if c.path}
    assert marked == {
        ("filesystem", "ALLOWED_DIRECTORY"): "directory",
        ("excel", "EXCEL_FILES_PATH"): "directory",
        ("arxiv-mcp-server", "ARXIV_STORAGE_PATH"): "directory",
        ("google-workspace", "CREDENTIALS_DIR"): "directory",
        ("google-workspace", "ACCOUNTS_FILE_PATH"): "file",
        ("firebase", "SERVICE_ACCOUNT_KEY_PATH"): "file",
    }
    # a path inside the Jupyter server, not on this machine
    assert entries["jupyter"].credential("NOTEBOOK_PATH").path is None
    folder = {"name": "NOTES_DIR", "description": "Where the notes live.", "path": "directory"}
    plain = parse_entry({**GOOD, "credentials": [folder]}, "x.json").credentials[0]
    assert plain.secret is False and plain.ui(False)["path"] == "directory"
    with pytest.raises(CatalogError, match="not a secret"):
        parse_entry({**GOOD, "credentials": [{**folder, "secret": True}]}, "x.json")
    for launch in (
        {"transport": "http", "url": "https://notes.example/mcp"},
        {"transport": "stdio", "command": "docker", "args": ["run", "-i", "notes"]},
    ):
        with pytest.raises(CatalogError, match="run here directly"):
            parse_entry({**GOOD, "launch": launch, "credentials": [folder]}, "x.json")
