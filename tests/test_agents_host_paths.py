"""Host paths at agent start: checked again against the shared folders (which may have shrunk,
or whose symlinks may have been swapped), bound alone into the sandbox; the catalog's real
filesystem server reads the folder it was given and nothing beside it exists for the agent."""

import json
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from agents import sandbox, service
from agents.config_builder import build_agent_config
from agents.errors import AgentHostPathError
from agents.host_paths import checked_host_paths
from agents.supervisor import Supervisor
from tests.catalog_helpers import catalog_entry, install_servers
from tests.conftest import make_settings
from tests.test_agents_sandbox import cmdline_of

pytestmark = pytest.mark.timeout(600)  # the first start installs the filesystem server (npm)

PROBE = "hostpath-probe"
PROBE_SERVER = Path(__file__).resolve().parent / "mcp_servers" / "probe.py"
CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")  # the registries' proxy needs the system CAs
FOLDER = {"name": "NOTES_DIR", "description": "Notes.", "required": True, "path": "directory"}


@dataclass
class Tree:
    """The operator's shared folder with ``docs/`` (given to agents) and ``other/`` beside it;
    ``outside`` is not shared at all."""

    root: Path
    docs: Path
    other: Path
    outside: Path


def make_tree(tmp_path: Path) -> Tree:
    root, outside = tmp_path / "agent-files", tmp_path / "outside"
    for folder in (root / "docs", root / "other", outside):
        folder.mkdir(parents=True)
    (root / "docs" / "report.csv").write_text("month,revenue\n2026-11,1200\n")
    (root / "other" / "notes.txt").write_text("not for this agent")
    (outside / "private.txt").write_text("not shared")
    (root / "docs-link").symlink_to(root / "docs")
    return Tree(root, root / "docs", root / "other", outside)


def notes_config():
    entry = catalog_entry({"slug": "notes", "launch": {"command": "true"}, "credentials": [FOLDER]})
    config = build_agent_config(
        [entry],
        agent_name="notes",
        instruction="Read the notes.",
        default_model="passthrough",
        provided={"notes": ["NOTES_DIR"]},
    )
    return config, config.secret_refs[0].env


def test_the_sandbox_binds_the_resolved_path_and_nothing_beside_it(tmp_path) -> None:
    tree = make_tree(tmp_path)
    settings = make_settings(tmp_path / "data", agent_shared_dirs=[tree.root])
    config, var = notes_config()
    assert config.secret_refs[0].path == "directory"
    env, shared = checked_host_paths(settings, config, {var: str(tree.root / "docs-link")})
    assert env == {var: str(tree.docs)} and shared == [tree.docs]
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    command = sandbox.bwrap_command(settings, workspace, ["/bin/ls", "-A", str(tree.root)], shared)
    options = command[: command.index("--")]
    binds = [options[i + 1 : i + 3] for i, arg in enumerate(options) if arg == "--bind"]
    assert binds == [[str(tree.docs), str(tree.docs)], [str(workspace), str(workspace)]]
    assert not any(str(tree.root / "docs-link") in arg or arg == str(tree.root) for arg in options)
    seen = subprocess.run(command, capture_output=True, text=True, check=True, timeout=60)  # noqa: S603
    assert seen.stdout.split() == ["docs"]  # the shared folder holds only what was given
    for other in (tree.other, tree.outside):
        command[-1] = str(other)
        assert subprocess.run(command, capture_output=True, timeout=60).returncode != 0  # noqa: S603


async def test_without_a_sandbox_the_start_checks_the_path_all_the_same(tmp_path) -> None:
    tree = make_tree(tmp_path)
    config, var = notes_config()
    for shared, words in (([], "shares no folder"), ([tree.other], "is not inside a folder")):
        settings = make_settings(tmp_path / "data", agent_sandbox="off", agent_shared_dirs=shared)
        supervisor = Supervisor(settings)
        with pytest.raises(AgentHostPathError, match=words) as error:
            await supervisor.start(str(uuid.uuid4()), "alice", config, {var: str(tree.docs)})
        assert "Server 'notes': NOTES_DIR:" in str(error.value)
        assert supervisor.running_for("alice") == []


@pytest.fixture
async def agents_with_files(app, database, settings, tmp_path):
    """A shared folder tree, the probe server in the catalog, agents on the passthrough model."""
    tree = make_tree(tmp_path)
    async with database.service() as conn:
        await install_servers(
            conn,
            {"slug": PROBE, "launch": {"command": sys.executable, "args": [str(PROBE_SERVER)]}},
        )
    names = ("agent_shared_dirs", "agent_model_override", "agent_ca_bundle")
    names += ("agent_start_timeout_seconds",)
    saved = {name: getattr(settings, name) for name in names}
    settings.agent_shared_dirs = [tree.root]
    settings.agent_model_override, settings.agent_ca_bundle = "passthrough", CA_BUNDLE
    settings.agent_start_timeout_seconds = 180.0  # a busy 2-core CI machine starts slowly
    yield tree
    for name, value in saved.items():
        setattr(settings, name, value)


async def build_files_agent(client, database, settings, user, folder: Path, servers: list[str]):
    """The user saves ``folder`` as the filesystem server's ALLOWED_DIRECTORY (through the form's
    API) and builds an agent with ``servers``; returns its id and server keys by slug."""
    async with database.as_user(user.claims) as conn:
        session = str(
            await conn.fetchval(
                "insert into sessions (user_id, title) values ($1, 'files') returning id",
                uuid.UUID(user.id),
            )
        )
    saved = await client.post(
        f"/api/sessions/{session}/credentials",
        headers=user.headers,
        json={"server": "filesystem", "values": {"ALLOWED_DIRECTORY": str(folder)}},
    )
    assert saved.status_code == 200, saved.text
    built = await service.create_config(
        database, settings, user, session, servers, "files", "Describe the CSV reports."
    )
    agent = built["agent"]
    return agent["id"], {s["slug"]: s["key"] for s in agent["servers"]}


async def test_a_path_that_no_longer_passes_fails_the_start_with_the_reason(
    client, database, settings, make_user, agents_with_files
) -> None:
    tree = agents_with_files
    user = await make_user()
    agent_id, _ = await build_files_agent(
        client, database, settings, user, tree.docs, ["filesystem"]
    )

    async def start_refused(words: str) -> None:
        response = await client.post(f"/api/agents/{agent_id}/start", headers=user.headers)
        assert response.status_code == 409, response.text
        error = response.json()["error"]
        assert error["code"] == "agent_host_path_refused"
        assert "Server 'filesystem': ALLOWED_DIRECTORY:" in error["message"]
        assert words in error["message"]
        agent = (await client.get(f"/api/agents/{agent_id}", headers=user.headers)).json()
        assert agent["status"] == "failed" and words in agent["error"]

    settings.agent_shared_dirs = [tree.other]  # the operator stopped sharing the folder
    await start_refused(
        f"is not inside a folder shared with agents. Folders shared with agents here: {tree.other}."
    )
    settings.agent_shared_dirs = []
    await start_refused("This service shares no folder of its machine with agents")
    settings.agent_shared_dirs = [tree.root]
    tree.docs.rename(tree.root / "docs-before")  # the saved folder became a symlink leading out
    tree.docs.symlink_to(tree.outside)
    await start_refused(f"(it leads to {tree.outside})")


async def test_the_real_filesystem_server_reads_the_shared_folder_and_sees_nothing_beside_it(
    app, client, database, settings, make_user, agents_with_files
) -> None:
    tree = agents_with_files
    user = await make_user()
    agent_id, keys = await build_files_agent(
        client, database, settings, user, tree.root / "docs-link", ["filesystem", PROBE]
    )
    started = await client.post(f"/api/agents/{agent_id}/start", headers=user.headers)
    assert started.status_code == 200, started.text
    agent = app.state.agent_supervisor.get(agent_id)
    try:
        assert agent.sandbox == "bubblewrap"
        options = cmdline_of(agent.pid).split(b"\0--\0")[0].split(b"\0")
        binds = [options[i + 1] for i, arg in enumerate(options) if arg == b"--bind"]
        assert binds == [str(tree.docs).encode(), str(agent.directory).encode()]

        async def call(slug: str, tool: str, **arguments: str) -> str:
            text = f"***CALL_TOOL {keys[slug]}__{tool} {json.dumps(arguments)}"
            reply = await client.post(
                f"/api/agents/{agent_id}/messages", headers=user.headers, json={"message": text}
            )
            assert reply.status_code == 200, reply.text
            return str(reply.json()["reply"])

        async def probe(tool: str, path: Path) -> str:
            return str(json.loads(await call(PROBE, tool, path=str(path)))["result"])

        listing = await call("filesystem", "list_directory", path=str(tree.docs))
        assert "[FILE] report.csv" in listing
        report = await call("filesystem", "read_text_file", path=str(tree.docs / "report.csv"))
        assert "2026-11,1200" in report
        assert str(tree.docs) in await call("filesystem", "list_allowed_directories")
        # from inside the sandbox, the shared folder holds only what was given
        assert await probe("listdir", tree.root) == "ok:docs"
        for hidden in (tree.other, tree.outside):
            assert await probe("listdir", hidden) == "error:FileNotFoundError"
        assert await probe("read", tree.outside / "private.txt") == "error:FileNotFoundError"
        assert await probe("read", tree.other / "notes.txt") == "error:FileNotFoundError"
        written = tree.docs / "summary.txt"  # read-write, and the host sees what it wrote
        assert await probe("write", written) == "ok:"
        assert written.read_text() == "x"
    finally:
        await app.state.agent_supervisor.stop(agent_id)
