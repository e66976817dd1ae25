"""``dynamic-mcp catalog verify`` against real packages from the registries (npm, PyPI) and
against broken servers: the statuses, stderr tails and tools it records."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from catalog.models import CatalogEntry, parse_entry
from catalog.packages import package_of
from catalog.verify import classify, server_env, verify_all
from catalog.verify_record import apply_records, read_records, summarize, write_record

NO_DOCKER = frozenset({"node", "uv", "network"})
CRASH = (
    "import sys; sys.stderr.write('Traceback (most recent call last):\\n"
    "ModuleNotFoundError: No module named httpx\\n'); sys.exit(1)"
)
NATIVE = (
    "import sys; sys.stderr.write('ImportError: libodbc.so.2: cannot open shared object file:"
    " No such file or directory\\n'); sys.exit(1)"
)


def _entry(slug: str, command: str, args: list[str], **extra: object) -> CatalogEntry:
    data = {
        "slug": slug,
        "name": slug.replace("-", " ").title(),
        "description": f"{slug}: a server the verify tests start.",
        "launch": {"transport": "stdio", "command": command, "args": args},
        **extra,
    }
    return parse_entry(data, slug)


ENTRIES = [
    _entry("time-uvx", "uvx", ["mcp-server-time==2026.10.19"]),
    _entry("memory-npx", "npx", ["-y", "@modelcontextprotocol/server-memory@2026.8.31"]),
    _entry("missing-npm", "npx", ["-y", "@dynamic-mcp-tests/no-such-server@1.0.0"]),
    _entry("missing-pypi", "uvx", ["dynamic-mcp-tests-no-such-server==1.0.0"]),
    _entry("crashes", sys.executable, ["-c", CRASH]),
    _entry("needs-odbc", sys.executable, ["-c", NATIVE]),
    _entry("docker-only", "docker", ["run", "-i", "--rm", "mcp/none"]),
    _entry(
        "with-credential",
        "uvx",
        ["mcp-server-time==2026.10.19", "--local-timezone", "${TZ_NAME}"],
        credentials=[
            {"name": "TZ_NAME", "description": "A time zone.", "secret": False, "example": "UTC"}
        ],
    ),
]


@pytest.fixture(scope="session")
def package_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """npm and uv caches shared by every verify test: each package installs once per suite."""
    return tmp_path_factory.mktemp("verify-cache")


@pytest.fixture(scope="module")
async def verified(package_cache: Path) -> dict[str, object]:
    env = server_env(package_cache, os.environ)
    records = await verify_all(ENTRIES, base_env=env, host=NO_DOCKER, jobs=2, limit_seconds=90)
    return {r.slug: r for r in records}


def test_packages_and_pins_are_read_from_the_launch() -> None:
    uvx, npx = package_of(ENTRIES[0].launch), package_of(ENTRIES[1].launch)
    assert (uvx.registry, uvx.name, uvx.version, uvx.pinned) == (
        "pypi",
        "mcp-server-time",
        "2026.10.19",
        True,
    )
    assert (npx.registry, npx.name, npx.version) == (
        "npm",
        "@modelcontextprotocol/server-memory",
        "2026.8.31",
    )
    latest = _entry("x-y", "npx", ["-y", "@playwright/mcp@latest"])
    assert package_of(latest.launch).version is None
    git = _entry("g-h", "uvx", ["--from", "git+https://github.com/a/b", "b"])
    assert package_of(git.launch).source == "git"


async def test_real_packages_start_and_declare_their_tools(verified) -> None:
    time_server, memory = verified["time-uvx"], verified["memory-npx"]
    assert time_server.status == "started", time_server.stderr_tail
    assert {t.name for t in time_server.tools} == {"get_current_time", "convert_time"}
    assert all(t.description for t in time_server.tools)
    assert time_server.version == "2026.10.19" and time_server.seconds > 0
    assert memory.status == "started", memory.stderr_tail
    assert {"create_entities", "read_graph"} <= {t.name for t in memory.tools}
    # placeholder credentials come from the template's own example
    assert verified["with-credential"].status == "started"


async def test_failures_are_classified_with_the_servers_own_stderr(verified) -> None:
    assert verified["missing-npm"].status == "not_found"
    assert "404" in verified["missing-npm"].stderr_tail
    assert verified["missing-pypi"].status == "not_found"
    assert "dynamic-mcp-tests-no-such-server" in verified["missing-pypi"].stderr_tail
    crashed = verified["crashes"]
    assert crashed.status == "crashed" and "No module named httpx" in crashed.stderr_tail
    assert verified["needs-odbc"].status == "needs_native_lib"
    assert verified["docker-only"].status == "needs_docker"
    assert verified["docker-only"].stderr_tail == ""  # never launched


async def test_a_server_that_never_answers_times_out(package_cache: Path) -> None:
    env = server_env(package_cache, os.environ)
    (record,) = await verify_all(
        [_entry("hangs", sys.executable, ["-c", "import time; time.sleep(120)"])],
        base_env=env,
        host=NO_DOCKER,
        limit_seconds=3,
    )
    assert record.status == "timeout" and "3 s" in record.detail


def test_stderr_classes() -> None:
    assert classify("npm error code E404", "crashed") == "not_found"
    assert classify("Error: getaddrinfo ENOTFOUND api.vendor.com", "crashed") == "needs_network"
    # a client that connects to its service at start fails on the placeholder address
    couchbase = "UnAmbiguousTimeoutException(<ec=14, message=Failed to connect, C Source=x>)"
    assert classify(couchbase, "crashed") == "needs_network"
    assert classify("psycopg.OperationalError: connection refused", "crashed") == "needs_network"
    assert classify("Run 'npx playwright install' to download", "crashed") == "downloads_browser"
    assert classify("Please run with 'auth' argument first", "crashed") == "needs_oauth"
    assert classify("Segmentation fault", "crashed") == "crashed"
    assert classify("ModuleNotFoundError: No module named 'x'", "crashed") == "crashed"


async def test_record_round_trip_feeds_the_catalog_tools(verified, tmp_path: Path) -> None:
    for record in verified.values():
        write_record(record, tmp_path)
    records = read_records(tmp_path)
    assert set(records) == {e.slug for e in ENTRIES}
    applied = {e.slug: e for e in apply_records(ENTRIES, records)}
    assert {t.name for t in applied["time-uvx"].tools} == {"get_current_time", "convert_time"}
    assert applied["time-uvx"].verification.status == "started"
    assert applied["crashes"].tools == [] and applied["crashes"].verification.status == "crashed"
    edited = _entry("time-uvx", "uvx", ["mcp-server-time==2025.1.1"])
    (stale,) = apply_records([edited], records)  # a record of another launch is not applied
    assert stale.verification is None

    summary = summarize(list(records.values()))
    assert summary["total"] == len(ENTRIES)
    assert summary["by_status"]["started"] == summary["started"] == 3
    assert summary["by_runtime"]["uvx"] == {"total": 3, "started": 2}


def test_summary_json_reads_the_stored_record_without_launching(tmp_path: Path) -> None:
    folder = tmp_path / "servers"
    folder.mkdir()
    records = tmp_path / "verified"
    entry = ENTRIES[0].model_dump(mode="json", exclude_none=True)
    (folder / "time-uvx.json").write_text(json.dumps(entry))
    write_record(
        verified_record := _fake_record(entry), records
    )  # made here, not by a launch: --summary must only read it
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "dynamic_mcp.cli",
            "catalog",
            "verify",
            str(folder),
            "--summary",
            "--json",
            "--record-dir",
            str(records),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={"PATH": os.environ["PATH"], "HOME": str(tmp_path)},
    )
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["total"] == 1 and summary["started"] == 1
    assert summary["by_runtime"] == {"uvx": {"total": 1, "started": 1}}
    assert summary["node_uv"]["share"] == 1.0
    assert verified_record.slug == "time-uvx"


def _fake_record(entry: dict) -> object:
    from catalog.verify_record import ToolInfo, Verification

    return Verification(
        slug=entry["slug"],
        runtime="uvx",
        status="started",
        checked="2026-12-01",
        tools=[ToolInfo("get_current_time", "now")],
        launch=entry["launch"],
        requires=entry["requires"],
    )
