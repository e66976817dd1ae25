"""Runtime awareness: what the host has, and a search that offers only what runs here."""

import json
import uuid
from pathlib import Path

import pytest_asyncio

from catalog.embedders import get_embedder
from catalog.evaluation import isolated_database
from catalog.loader import load_catalog
from catalog.models import parse_entry
from catalog.runtimes import detect
from catalog.search import prepare_search, run_search, search_servers
from tests.catalog_helpers import CountingEmbedder, entry, write
from tools.registry import ToolContext
from tools.search import search_mcp_servers

NO_DOCKER = frozenset({"node", "uv", "network"})


def docker_entry(slug: str, name: str, description: str) -> dict:
    data = entry(slug, name, description)
    data["launch"] = {
        "transport": "stdio",
        "command": "docker",
        "args": ["run", "-i", f"mcp/{slug}"],
    }
    return data


# Five Docker images that match "tide tables" better than the one npx server does: a filter
# applied after the top k would leave nothing runnable on a host without Docker.
TIDES = [
    *(
        docker_entry(f"tides-docker-{i}", f"Tides {i}", "Tide tables, tide times and tide heights.")
        for i in range(5)
    ),
    entry("harbourmaster", "Harbourmaster", "Harbour schedules with tide tables for ports."),
    entry("ledgerly", "Ledgerly", "Accounting ledger: record invoices, expenses and balances."),
]


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def tides(database, settings, tmp_path_factory):
    async with isolated_database(database, settings) as db:
        folder = write(tmp_path_factory.mktemp("tides"), *TIDES)
        report = await load_catalog(db, CountingEmbedder(), [folder])
        assert report.errors == []
        yield db


def test_every_entry_states_its_launcher_runtime() -> None:
    stdio = parse_entry(entry("a-b", "A B", "Does a thing for testing."), "test")
    docker = parse_entry(docker_entry("c-d", "C D", "Does a thing for testing."), "test")
    remote = parse_entry(
        {
            **entry("e-f", "E F", "Does a thing for testing."),
            "launch": {"transport": "http", "url": "https://mcp.example.com/mcp"},
        },
        "test",
    )
    extra = parse_entry(
        {**entry("g-h", "G H", "Does a thing for testing."), "requires": ["lib:odbc"]}, "test"
    )
    assert (stdio.requires, docker.requires, remote.requires) == (["node"], ["docker"], ["network"])
    assert extra.requires == ["node", "lib:odbc"]
    own = entry("i-j", "I J", "Does a thing for testing.")
    own["launch"] = {"transport": "stdio", "command": "/opt/tools/bin/python", "args": ["s.py"]}
    assert parse_entry(own, "test").requires == []  # an operator's own executable


def _fake_cli(folder: Path, name: str, script: str) -> None:
    path = folder / name
    path.write_text(f"#!/bin/sh\n{script}\n")
    path.chmod(0o755)


def test_detect_finds_launchers_and_only_a_docker_engine_that_answers(tmp_path: Path) -> None:
    for name in ("npx", "uvx"):
        _fake_cli(tmp_path, name, "exit 0")
    _fake_cli(tmp_path, "docker", "echo 'Cannot connect to the Docker daemon' >&2; exit 1")
    host = detect("auto", search_path=str(tmp_path))
    assert host.available == {"node", "uv", "network"}
    assert "no engine" in host.details["docker"]

    _fake_cli(tmp_path, "docker", "echo 27.3.1")
    assert "docker" in detect("auto", search_path=str(tmp_path)).available
    empty = tmp_path / "empty"
    empty.mkdir()
    assert detect("auto", search_path=str(empty)).available == {"network"}
    assert detect("node, uv").available == {"node", "uv"}  # configured: no detection


async def test_docker_only_servers_are_filtered_before_the_top_k(tides) -> None:
    embedder = CountingEmbedder()
    async with tides.service() as conn:
        anywhere = await search_servers(conn, embedder, "tide tables", limit=3, split=False)
        here = await search_servers(
            conn, embedder, "tide tables", limit=3, split=False, host=NO_DOCKER
        )
        with_docker = await search_servers(
            conn, embedder, "tide tables", limit=3, split=False, host=NO_DOCKER | {"docker"}
        )
    assert all(m.slug.startswith("tides-docker") for m in anywhere)
    assert here[0].slug == "harbourmaster"
    assert all(m.runnable and "docker" not in m.requires for m in here)
    assert with_docker[0].slug.startswith("tides-docker") and with_docker[0].runnable

    prepared = await prepare_search(embedder, "tide tables", split=False)
    async with tides.service() as conn:
        ranked = await run_search(conn, prepared, 3, host=NO_DOCKER, only_runnable=False)
    assert [(m.runnable, m.missing) for m in ranked] == [(False, ["docker"])] * 3
    assert "docker" in ranked[0].why_not


async def test_a_server_that_failed_verification_is_not_offered(tides, tmp_path: Path) -> None:
    embedder = CountingEmbedder()
    records = tmp_path / "verified"
    records.mkdir()
    record = {
        "slug": "harbourmaster",
        "runtime": "npx",
        "status": "crashed",
        "checked": "2026-12-01",
        "launch": TIDES[5]["launch"],
    }
    (records / "harbourmaster.json").write_text(json.dumps(record))
    folder = write(tmp_path / "cat", *TIDES)
    try:
        report = await load_catalog(tides, embedder, [folder], records=records)
        assert report.updated == ["harbourmaster"]
        async with tides.service() as conn:
            here = await search_servers(
                conn, embedder, "tide tables", limit=3, split=False, host=NO_DOCKER
            )
    finally:
        await load_catalog(tides, embedder, [folder])
    assert "harbourmaster" not in [m.slug for m in here]


async def test_the_search_tool_names_what_cannot_run_here(tides, settings) -> None:
    from tests.conftest import make_settings

    host_settings = make_settings(settings.data_dir, host_runtimes="node,uv,network")
    sub = str(uuid.uuid4())  # the tool reads which credentials this user already holds
    user = type("U", (), {"id": sub, "claims": {"sub": sub, "role": "authenticated"}})()
    ctx = ToolContext(
        user=user, session_id="s", db=tides, settings=host_settings, embedder=CountingEmbedder()
    )
    result = await search_mcp_servers(ctx, ["tide tables"], limit=2)
    (first,) = result["results"]
    assert [s["slug"] for s in first["servers"]][0] == "harbourmaster"
    assert all(s["runnable"] for s in first["servers"])
    left_out = first["not_runnable_here"]
    assert left_out and all("docker" in s["why_not"] for s in left_out)


async def test_bundled_catalog_offers_no_docker_server_on_a_host_without_docker(
    database, settings
) -> None:
    embedder = get_embedder(settings)
    request = "Every morning, summarise new GitHub issues and post them to #eng on Slack"
    async with database.service() as conn:
        found = await search_servers(conn, embedder, request, limit=8, host=NO_DOCKER)
        slugs = {m.slug for m in found}
        docker_only = {
            r["slug"]
            for r in await conn.fetch("select slug from mcp_servers where 'docker' = any(requires)")
        }
    assert found and not slugs & docker_only
    assert {"github", "slack"} <= slugs


async def test_readyz_reports_the_host_runtimes(client) -> None:
    response = await client.get("/readyz")
    runtimes = response.json()["runtimes"]
    assert set(runtimes["available"]) <= {"node", "uv", "docker", "network"} | {
        r for r in runtimes["available"] if r.startswith("lib:")
    }
    assert {"node", "uv", "docker", "network"} <= set(runtimes["details"])


async def test_chat_on_a_host_without_docker_picks_runnable_servers(database, data_dir) -> None:
    """The README's example through the chat (offline planner) on a host with node and uv."""
    import httpx

    from dynamic_mcp.app import create_app
    from tests.conftest import create_user, make_settings

    settings = make_settings(
        data_dir, host_runtimes="node,uv,network", local_sign_in_link_at_start=False
    )
    app = create_app(settings, database=database)
    user = await create_user(database, settings)
    request = "Every morning, summarise new GitHub issues and post them to #eng on Slack"
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            response = await http.post("/api/chat", headers=user.headers, json={"message": request})
    assert response.status_code == 200, response.text
    body = response.json()
    offered = [s for e in body["events"] if e["type"] == "servers_found" for s in e["servers"]]
    assert offered and all(s["runnable"] for s in offered)
    async with database.service() as conn:
        docker_only = {
            r["slug"]
            for r in await conn.fetch("select slug from mcp_servers where 'docker' = any(requires)")
        }
    picked = [
        slug
        for call in body.get("tool_calls", [])
        if call.get("name") == "request_credentials"
        for slug in call.get("input", {}).get("servers", [])
    ]
    assert not {s["slug"] for s in offered} & docker_only
    assert not set(picked) & docker_only
    assert "slack" in picked and any("github" in slug for slug in picked)
