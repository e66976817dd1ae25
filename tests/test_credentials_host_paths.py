"""Host-path credentials are checked where they are saved: the form's HTTP API and the model's
``save_credential``. Only paths inside ``AGENT_SHARED_DIRS``, symlinks resolved, are stored."""

import os
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import pydantic
import pytest
import pytest_asyncio

from core.config import Settings
from credentials import service
from tests.catalog_helpers import install_servers
from tests.test_credentials_api import new_session, post_values, tool_context
from tests.tool_helpers import model_sees_error
from tools.credentials import request_credentials, save_credential

SERVER = "hostpath-files"
TOKEN = "hp_" + "Kq7Wm2Xr9Tz4" * 3
ENTRY = {
    "slug": SERVER,
    "launch": {"command": "true"},
    "credentials": [
        {"name": "FILES_DIR", "required": True, "path": "directory"},
        {"name": "KEY_FILE", "required": False, "path": "file"},
        {"name": "FILES_TOKEN", "secret": True, "required": False},
    ],
}


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def catalog(database) -> AsyncIterator[None]:
    async with database.service() as conn:
        await install_servers(conn, ENTRY)
    yield
    async with database.service() as conn:
        await conn.execute("update mcp_servers set retired_at = now() where slug = $1", SERVER)


@dataclass
class Tree:
    """``agent-files/`` (the operator's shared folder) and what lies in and beside it."""

    root: Path
    docs: Path
    key: Path
    outside: Path


@pytest.fixture
def tree(settings: Settings, tmp_path: Path) -> Tree:
    root, outside = tmp_path / "agent-files", tmp_path / "outside"
    (root / "docs").mkdir(parents=True)
    outside.mkdir()
    (root / "key.json").write_text("{}")
    (root / "docs-link").symlink_to(root / "docs")
    (root / "escape").symlink_to(outside)
    saved = settings.agent_shared_dirs
    settings.agent_shared_dirs = [root]
    yield Tree(root, root / "docs", root / "key.json", outside)
    settings.agent_shared_dirs = saved


@pytest.fixture
async def alice(make_user, catalog):
    return await make_user()


async def stored(database, user) -> dict[str, str]:
    async with database.as_user(user.claims) as conn:
        return (await service.load_user_secrets(conn, user.id, [SERVER]))[SERVER]


async def test_a_folder_inside_a_shared_one_is_stored_as_its_real_path(
    client, database, alice, tree
) -> None:
    session = await new_session(database, alice)
    for written, real in [
        (f"{tree.docs}/", tree.docs),
        (str(tree.root / "docs-link"), tree.docs),  # a symlink inside the shared folder
        (f"{tree.docs}/../docs", tree.docs),
        (str(tree.root), tree.root),  # the shared folder itself
    ]:
        values = {"FILES_DIR": written, "KEY_FILE": str(tree.key)}
        response = await post_values(client, alice, session, SERVER, values)
        assert response.status_code == 200, response.text
        assert response.json()["complete"] is True
        assert await stored(database, alice) == {"FILES_DIR": str(real), "KEY_FILE": str(tree.key)}


REFUSED: dict[str, tuple[Callable[[Tree], dict[str, str]], str]] = {
    "outside": (lambda t: {"FILES_DIR": str(t.outside)}, "is not inside a folder shared"),
    "symlink escape": (lambda t: {"FILES_DIR": str(t.root / "escape")}, "it leads to"),
    "dot-dot": (lambda t: {"FILES_DIR": f"{t.root}/../outside"}, "is not inside a folder"),
    "relative": (lambda t: {"FILES_DIR": "agent-files/docs"}, "give a full path starting with /"),
    "home": (lambda t: {"FILES_DIR": "~/docs"}, "has no home folder of yours"),
    "missing": (lambda t: {"FILES_DIR": str(t.root / "nope")}, "does not exist"),
    "file for a folder": (lambda t: {"FILES_DIR": str(t.key)}, "is not a folder"),
    "folder for a file": (lambda t: {"KEY_FILE": str(t.docs)}, "is not a file"),
}


@pytest.mark.parametrize("case", list(REFUSED))
async def test_a_refused_path_is_a_422_naming_the_shared_folders_and_loses_nothing(
    client, database, alice, tree, case
) -> None:
    session = await new_session(database, alice)
    before = {"FILES_DIR": str(tree.docs)}
    assert (await post_values(client, alice, session, SERVER, before)).status_code == 200
    bad, words = REFUSED[case]
    values = {**bad(tree), "FILES_TOKEN": TOKEN}  # the good value beside it is not stored either
    response = await post_values(client, alice, session, SERVER, values)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    (name,) = bad(tree)
    assert error["code"] == "invalid_credential"
    assert error["details"] == {
        "field": f"values.{name}",
        "shared_dirs": [str(tree.root)],
        "setting": "AGENT_SHARED_DIRS",
    }
    assert words in error["message"] and name in error["message"]
    assert f"Folders shared with agents here: {tree.root}." in error["message"]
    assert TOKEN not in response.text
    if case == "outside":  # a path outside tells nothing of where host symlinks lead
        assert "leads to" not in error["message"]
    assert await stored(database, alice) == before


async def test_with_no_shared_folder_no_path_is_accepted(
    client, database, alice, tree, settings
) -> None:
    settings.agent_shared_dirs = []
    session = await new_session(database, alice)
    response = await post_values(client, alice, session, SERVER, {"FILES_DIR": str(tree.docs)})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["details"]["shared_dirs"] == []
    assert "shares no folder of its machine with agents" in error["message"]
    assert "AGENT_SHARED_DIRS" in error["message"]
    assert await stored(database, alice) == {}


async def test_the_services_own_data_is_never_shareable(
    client, database, alice, settings, tree
) -> None:
    settings.agent_shared_dirs = [settings.data_dir.parent, tree.root]
    session = await new_session(database, alice)
    for folder in (settings.data_dir.parent, settings.data_dir, settings.data_dir / "packages"):
        folder.mkdir(exist_ok=True)
        response = await post_values(client, alice, session, SERVER, {"FILES_DIR": str(folder)})
        assert response.status_code == 422, folder
        assert "holds this service's own data" in response.json()["error"]["message"]
    assert await stored(database, alice) == {}


async def test_the_model_is_told_the_shared_folders_and_gets_the_same_check(
    database, settings, alice, tree
) -> None:
    session = await new_session(database, alice)
    events: list[dict] = []
    ctx = tool_context(database, settings, alice, session, events)
    result = await request_credentials(ctx, [SERVER])
    assert result["host_paths"] == f"Folders shared with agents here: {tree.root}."
    (item, *_) = result["servers"][0]["items"]
    assert "machine this service runs on" in item["instruction"]
    assert events[0]["host_paths"] == result["host_paths"]
    assert [i["path"] for i in events[0]["servers"][0]["items"]] == ["directory", "file", None]

    async with database.as_user(alice.claims) as conn:
        message = f"FILES_DIR={tree.outside} and then FILES_DIR={tree.root / 'docs-link'}"
        redacted = await service.redact_incoming_message(conn, alice.id, session, message)
    assert redacted == "FILES_DIR=[secret:1] and then FILES_DIR=[secret:2]"
    error = await model_sees_error(
        ctx, "save_credential", server=SERVER, name="FILES_DIR", secret_ref="[secret:1]"
    )
    assert "is not inside a folder shared with agents" in error and str(tree.root) in error
    saved = await save_credential(ctx, SERVER, "FILES_DIR", "[secret:2]")
    assert saved["stored"] == ["FILES_DIR"] and saved["complete"] is True
    assert await stored(database, alice) == {"FILES_DIR": str(tree.docs)}


def test_the_setting_lists_absolute_folders(monkeypatch) -> None:
    monkeypatch.setenv("AGENT_SHARED_DIRS", f"/srv/a{os.pathsep} /srv/b {os.pathsep}")
    assert Settings(_env_file=None).agent_shared_dirs == [Path("/srv/a"), Path("/srv/b")]  # type: ignore[call-arg]
    monkeypatch.delenv("AGENT_SHARED_DIRS")
    assert Settings(_env_file=None).agent_shared_dirs == []  # type: ignore[call-arg]
    with pytest.raises(pydantic.ValidationError, match="absolute paths"):
        Settings(_env_file=None, agent_shared_dirs="docs")  # type: ignore[call-arg]
