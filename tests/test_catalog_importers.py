"""Importers on real-format documents: official registry server.json, Docker server.yaml,
Claude Desktop mcpServers."""

import json
from pathlib import Path

import yaml

from catalog.cli import register
from catalog.importers import from_docker, import_file, write_entries
from catalog.models import parse_entry

# Rows in the registries' field layouts, written for these tests.
REGISTRY = Path(__file__).resolve().parent / "data" / "registry"


def _docker_row(name: str) -> dict:
    for line in (REGISTRY / "docker_servers.jsonl").read_text().splitlines():
        row = json.loads(line)
        if row["name"] == name:
            row.pop("_path", None)
            return row
    raise KeyError(name)


def test_docker_server_yaml_stdio(tmp_path: Path) -> None:
    path = tmp_path / "server.yaml"
    path.write_text(yaml.safe_dump(_docker_row("slack")))
    (entry,), errors = import_file(path)
    assert errors == []
    assert entry.slug == "slack" and entry.launch.transport == "stdio"
    assert entry.name == "Slack" and entry.archived  # "(Archived)" becomes the flag
    assert entry.requires == ["docker"]
    assert entry.launch.command == "docker" and "mcp/slack" in entry.launch.args
    creds = {c.name: c for c in entry.credentials}
    assert creds["SLACK_BOT_TOKEN"].secret and creds["SLACK_BOT_TOKEN"].required
    assert not creds["SLACK_TEAM_ID"].secret and creds["SLACK_TEAM_ID"].required
    assert not creds["SLACK_CHANNEL_IDS"].required
    assert entry.launch.env["SLACK_BOT_TOKEN"] == "${SLACK_BOT_TOKEN}"  # noqa: S105


def test_docker_remote_with_header_and_every_registry_row_converts() -> None:
    entry = parse_entry(from_docker(_docker_row("close")), "close")
    assert entry.launch.transport == "http" and entry.launch.url == "https://mcp.close.com/mcp"
    assert entry.launch.headers == {"Authorization": "Bearer ${CLOSE_API_KEY}"}
    assert entry.credentials[0].kind == "header"
    rows = [
        json.loads(line) for line in (REGISTRY / "docker_servers.jsonl").read_text().splitlines()
    ]
    for row in rows:
        parse_entry(from_docker(row), row["name"])


def test_official_registry_seed_and_current_format(tmp_path: Path) -> None:
    seed = json.loads((REGISTRY / "official_seed.json").read_text())
    seed_path = tmp_path / "seed.json"
    seed_path.write_text(json.dumps(seed))
    entries, errors = import_file(seed_path)
    assert len(entries) == 3 and len(entries) + len(errors) == len(seed)
    assert all("no npm, pypi, docker package or remote" in e for e in errors)
    magic = next(e for e in entries if e.slug == "magic-ui")
    assert magic.launch.command == "npx" and magic.launch.args == ["-y", "@example/magic-ui@0.0.46"]

    current = {
        "$schema": "https://static.modelcontextprotocol.io/schemas/2025-09-29/server.schema.json",
        "name": "io.github.example/weather",
        "title": "Weather",
        "version": "1.2.0",
        "description": "Forecasts and current conditions for any city.",
        "packages": [
            {
                "registryType": "pypi",
                "identifier": "weather-mcp",
                "version": "1.2.0",
                "transport": {"type": "stdio"},
                "environmentVariables": [
                    {
                        "name": "WEATHER_API_KEY",
                        "description": "API key",
                        "isRequired": True,
                        "isSecret": True,
                    },
                    {"name": "WEATHER_CACHE_DIR", "format": "filepath", "isSecret": True},
                    {"name": "WEATHER_STATIONS", "format": "filepath", "isRequired": False},
                ],
            }
        ],
    }
    path = tmp_path / "server.json"
    path.write_text(json.dumps(current))
    (entry,), errors = import_file(path)
    assert errors == []
    assert (entry.slug, entry.name, entry.launch.command, entry.launch.args) == (
        "weather",
        "Weather",
        "uvx",
        ["weather-mcp==1.2.0"],
    )
    assert entry.credentials[0].secret and entry.credentials[0].required
    # inputs of format filepath are host paths (never secret), a folder when the name says so
    assert [(c.path, c.secret) for c in entry.credentials] == [
        (None, True),
        ("directory", False),
        ("file", False),
    ]

    remote = {
        "name": "com.example/notes",
        "description": "Hosted notes server for teams.",
        "remotes": [
            {
                "type": "sse",
                "url": "https://notes.example.com/sse",
                "headers": [{"name": "X-API-Key", "isSecret": True, "isRequired": True}],
            }
        ],
    }
    path.write_text(json.dumps(remote))
    (entry,), _ = import_file(path)
    assert entry.launch.transport == "sse"
    assert entry.launch.headers == {"X-API-Key": "${X_API_KEY}"}


def test_claude_desktop_config_never_copies_values(tmp_path: Path) -> None:
    config = {
        "mcpServers": {
            "github": {
                "command": "npx",
                "args": ["-y", "@modelcontextprotocol/server-github"],
                "env": {"GITHUB_PERSONAL_ACCESS_TOKEN": "ghp_realsecretvalue"},
            },
            "Remote Docs": {
                "url": "https://docs.example.com/mcp",
                "headers": {"Authorization": "Bearer abc"},
            },
        }
    }
    path = tmp_path / "claude_desktop_config.json"
    path.write_text(json.dumps(config))
    entries, errors = import_file(path)
    assert errors == []
    github, docs = entries
    assert github.launch.env == {"GITHUB_PERSONAL_ACCESS_TOKEN": "${GITHUB_PERSONAL_ACCESS_TOKEN}"}
    assert github.credentials[0].secret
    assert docs.slug == "remote-docs" and docs.launch.headers == {
        "Authorization": "${AUTHORIZATION}"
    }
    written = write_entries(entries, tmp_path / "out")
    text = "".join(p.read_text() for p in written)
    assert "ghp_realsecretvalue" not in text and "Bearer abc" not in text


def test_cli_import_writes_our_format(tmp_path: Path, capsys) -> None:
    import argparse

    parser = argparse.ArgumentParser()
    register(parser.add_subparsers(dest="command"))
    src = tmp_path / "server.yaml"
    src.write_text(yaml.safe_dump(_docker_row("time")))
    args = parser.parse_args(["catalog", "import", str(src), "--out", str(tmp_path / "out")])
    assert args.handler(args) == 0
    written = json.loads((tmp_path / "out" / "time.json").read_text())
    assert parse_entry(written, "time.json").slug == "time"
    assert "wrote 1 entry" in capsys.readouterr().out
