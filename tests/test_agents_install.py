"""Packages are installed before fast-agent starts: real npm and PyPI MCP servers, sandboxed.

The packages land in the suite's data dir, so each downloads once per test run. A killed install
leaves nothing another start would use; the next start installs again and runs.
"""

import asyncio
import contextlib
import json
import os
import signal
from pathlib import Path

import pytest

from agents.config_builder import build_agent_config
from agents.errors import AgentInstallError
from agents.installer import parse_npx, parse_uvx
from agents.process import descendants
from tests.catalog_helpers import catalog_entry

pytestmark = pytest.mark.timeout(600)

MEMORY = "@modelcontextprotocol/server-memory@2026.8.31"
TIME = "mcp-server-time==2026.10.19"
CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")  # the registries' proxy needs the system CAs
AGENT_ID = "00000000-0000-4000-8000-0000000000a1"


def test_launch_arguments_are_parsed() -> None:
    assert parse_npx(["-y", MEMORY, "--x"]) == (MEMORY, ["--x"])
    assert parse_npx(["--package", "a", "b"]) is None
    assert parse_uvx([TIME, "--local-timezone", "UTC"]) == (
        TIME,
        "mcp-server-time",
        ["--local-timezone", "UTC"],
    )
    assert parse_uvx(["--from", "pkg[extra]==1", "prog", "a"]) == ("pkg[extra]==1", "prog", ["a"])
    assert parse_uvx(["--with", "x", "prog"]) is None


def config_for(command: str, args: list[str]):
    entry = catalog_entry({"slug": "pkg", "launch": {"command": command, "args": args}})
    return build_agent_config(
        [entry], agent_name="pkg", instruction="Use the tools.", default_model="passthrough"
    )


@pytest.fixture
async def runtime(app, settings):
    saved = settings.agent_model_override, settings.agent_ca_bundle
    settings.agent_model_override, settings.agent_ca_bundle = "passthrough", CA_BUNDLE
    supervisor = app.state.agent_supervisor
    yield supervisor
    await supervisor.stop(AGENT_ID)
    settings.agent_model_override, settings.agent_ca_bundle = saved


def installs_running() -> list[int]:
    return [
        pid
        for pid in descendants(os.getpid())
        if b"install" in _cmdline(pid) and b"server-memory" in _cmdline(pid)
    ]


def _cmdline(pid: int) -> bytes:
    with contextlib.suppress(OSError):
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    return b""


async def test_npm_package_installs_first_survives_a_killed_install_then_starts_warm(
    runtime, settings
):
    config = config_for("npx", ["-y", MEMORY])
    packages = settings.data_dir / "packages" / "npm"
    if not any(packages.glob("*server-memory*")):  # only a cold cache has an install to kill
        start = asyncio.create_task(runtime.start(AGENT_ID, "installer-user", config, {}))
        for _ in range(600):
            if pids := installs_running():
                break
            await asyncio.sleep(0.05)
        assert pids, "the install never ran"
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        with pytest.raises(AgentInstallError, match="Server 'pkg': Installing"):
            await start
        # other tests' packages share the suite's cache: only this one must be absent
        left = [p.name for p in packages.glob("*server-memory*")]
        assert [name for name in left if not name.startswith(".tmp-")] == []

    events = []

    async def progress(event):
        events.append(event)

    agent = await runtime.start(AGENT_ID, "installer-user", config, {}, progress)
    assert [e["type"] for e in events] == ["installing", "installed"]
    assert events[1]["package"] == MEMORY and events[1]["fresh"] is True
    assert {"read_graph", "create_entities"} <= set(agent.servers[0]["tools"])
    assert agent.sandbox == "bubblewrap"
    await runtime.stop(AGENT_ID)

    events.clear()
    agent = await runtime.start(AGENT_ID, "installer-user", config, {}, progress)
    assert events[1]["fresh"] is False  # warm: the package was already in place
    assert "read_graph" in agent.servers[0]["tools"]
    reply = await runtime.send(AGENT_ID, "***CALL_TOOL pkg__read_graph {}", "c1")
    assert "entities" in reply


async def test_pypi_package_installs_first_and_runs(runtime):
    config = config_for("uvx", [TIME, "--local-timezone", "UTC"])
    events = []

    async def progress(event):
        events.append(event)

    agent = await runtime.start(AGENT_ID, "installer-user", config, {}, progress)
    assert [e["type"] for e in events] == ["installing", "installed"]
    assert set(agent.servers[0]["tools"]) == {"get_current_time", "convert_time"}
    reply = await runtime.send(
        AGENT_ID, '***CALL_TOOL pkg__get_current_time {"timezone": "UTC"}', "c"
    )
    assert '"timezone":"UTC"' in reply.replace(" ", "")


async def test_a_package_that_does_not_exist_fails_with_the_installers_words(runtime):
    config = config_for("npx", ["-y", "@dynamic-mcp-test/no-such-package-7f3a@1.0.0"])
    with pytest.raises(AgentInstallError) as error:
        await runtime.start(AGENT_ID, "installer-user", config, {})
    assert "no-such-package-7f3a" in str(error.value) and "404" in str(error.value)


def test_the_program_of_an_npm_package_is_chosen_as_npx_chooses(tmp_path) -> None:
    from agents.installer import _npm_program

    def package(name: str, bins: dict[str, str]) -> Path:
        home = tmp_path / name.replace("/", "_")
        meta = home / "node_modules" / name / "package.json"
        meta.parent.mkdir(parents=True)
        meta.write_text(json.dumps({"name": name, "bin": bins}))
        return home

    aliases = package("@a/tool-server", {"tool-mcp": "dist/i.js", "mcp-server-tool": "dist/i.js"})
    assert _npm_program(aliases, "@a/tool-server@1.0.0").name == "tool-mcp"
    named = package("@b/srv", {"srv": "a.js", "other": "b.js"})
    assert _npm_program(named, "@b/srv@2").name == "srv"
    ambiguous = package("@c/x", {"one": "a.js", "two": "b.js"})
    with pytest.raises(AgentInstallError, match="no single program"):
        _npm_program(ambiguous, "@c/x@1")
