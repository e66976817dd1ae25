"""Browser servers drive the host's Chromium: no install or agent downloads a browser, and the
catalog's real Playwright and Puppeteer servers, sandboxed, open a page and read it."""

import http.server
import json
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from agents import sandbox, service
from agents.process import descendants
from agents.workspace import agent_env, pass_through, runtime_yaml
from core.browser import SKIP_DOWNLOADS, browser_env, browser_path
from tests.browser.conftest import CHROMIUM, require_chromium
from tests.conftest import make_settings
from tests.test_agents_host_paths import CA_BUNDLE, notes_config
from tests.test_agents_sandbox import cmdline_of

pytestmark = pytest.mark.timeout(600)  # the first start installs both servers (npm)

PAGE = "<html><head><title>Quarterly report</title></head><body><h1>Revenue 1200</h1></body></html>"


def fake_browser(folder: Path) -> Path:
    folder.mkdir(parents=True)
    program = folder / "chrome"
    program.write_text("#!/bin/sh\n")
    program.chmod(0o755)
    return program


def test_installs_and_agents_never_download_a_browser_and_drive_the_one_given(tmp_path) -> None:
    program = fake_browser(tmp_path / "opt" / "chrome")
    settings = make_settings(tmp_path / "data", agent_browser=str(program))
    env = browser_env(settings, as_root=False)
    assert SKIP_DOWNLOADS.items() <= env.items()
    for name in ("PUPPETEER_EXECUTABLE_PATH", "PLAYWRIGHT_MCP_EXECUTABLE_PATH", "CHROME_PATH"):
        assert env[name] == str(program)
    assert env["PLAYWRIGHT_MCP_HEADLESS"] == env["PLAYWRIGHT_MCP_SANDBOX"] == "true"
    assert "PLAYWRIGHT_MCP_NO_SANDBOX" not in env
    # as root, Chromium starts only without its own sandbox
    as_root = browser_env(settings, as_root=True)
    assert as_root["PLAYWRIGHT_MCP_SANDBOX"] == "false"
    assert as_root["PLAYWRIGHT_MCP_NO_SANDBOX"] == "true"
    off = make_settings(tmp_path / "data", agent_browser="off")
    assert browser_env(off, as_root=True) == SKIP_DOWNLOADS
    missing = make_settings(tmp_path / "data", agent_browser=str(tmp_path / "no-such-browser"))
    assert browser_path(missing) is None and browser_env(missing, as_root=True) == SKIP_DOWNLOADS


def test_auto_finds_the_systems_chromium_and_a_relative_path_is_refused(tmp_path) -> None:
    require_chromium(CHROMIUM)
    assert browser_path(make_settings(tmp_path / "data")) == CHROMIUM
    with pytest.raises(ValueError, match="AGENT_BROWSER must be auto, off or an absolute path"):
        make_settings(tmp_path / "data", agent_browser="chromium")


def test_every_server_process_gets_the_browser_and_its_folder_is_visible_in_the_sandbox(
    tmp_path,
) -> None:
    program = fake_browser(tmp_path / "opt" / "chrome")
    settings = make_settings(tmp_path / "data", agent_browser=str(program))
    assert program.parent in sandbox.runtime_paths(settings)  # outside /usr: bound read-only
    config, _ = notes_config()
    env = agent_env(settings, tmp_path / "ws", config, {}, sandboxed=True)
    assert env["PUPPETEER_EXECUTABLE_PATH"] == str(program)
    assert pass_through(settings).items() <= env.items()
    servers = runtime_yaml(settings, config, tmp_path / "ws")
    assert "PUPPETEER_EXECUTABLE_PATH: ${PUPPETEER_EXECUTABLE_PATH}" in servers
    extra = make_settings(tmp_path / "data", agent_extra_env={"PUPPETEER_EXECUTABLE_PATH": "/x"})
    assert pass_through(extra)["PUPPETEER_EXECUTABLE_PATH"] == "/x"  # the operator's word wins


async def test_readyz_names_the_browser_and_warns_when_there_is_none(client, settings) -> None:
    require_chromium(CHROMIUM)
    assert (await client.get("/readyz")).json()["browser"] == str(CHROMIUM)
    saved, settings.agent_browser = settings.agent_browser, "/opt/no-such/chrome"
    try:
        body = (await client.get("/readyz")).json()
    finally:
        settings.agent_browser = saved
    assert body["browser"] is None
    assert any("no Chromium at /opt/no-such/chrome" in w for w in body["warnings"]), body


@pytest.fixture
def report_page() -> Iterator[str]:
    """A page on loopback (agents share the host's network), served from a thread."""

    class Page(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = PAGE.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Page)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/report"
    server.shutdown()


async def test_the_catalogs_playwright_and_puppeteer_open_a_page_in_a_sandboxed_agent(
    app, client, database, settings, make_user, report_page
) -> None:
    require_chromium(CHROMIUM)
    saved = settings.agent_model_override, settings.agent_ca_bundle
    saved_timeout = settings.agent_start_timeout_seconds
    settings.agent_model_override, settings.agent_ca_bundle = "passthrough", CA_BUNDLE
    settings.agent_start_timeout_seconds = 180.0  # a busy 2-core CI machine starts slowly
    user = await make_user()
    async with database.as_user(user.claims) as conn:
        session = await conn.fetchval(
            "insert into sessions (user_id, title) values ($1, 'web') returning id",
            uuid.UUID(user.id),
        )
    built = await service.create_config(
        database, settings, user, str(session), ["playwright", "puppeteer"], "web", "Read pages."
    )
    agent_id = built["agent"]["id"]
    keys = {s["slug"]: s["key"] for s in built["agent"]["servers"]}

    async def call(slug: str, tool: str, arguments: dict[str, object]) -> str:
        text = f"***CALL_TOOL {keys[slug]}__{tool} {json.dumps(arguments)}"
        reply = await client.post(
            f"/api/agents/{agent_id}/messages", headers=user.headers, json={"message": text}
        )
        assert reply.status_code == 200, reply.text
        return str(reply.json()["reply"])

    try:
        started = await client.post(f"/api/agents/{agent_id}/start", headers=user.headers)
        assert started.status_code == 200, started.text
        assert app.state.agent_supervisor.get(agent_id).sandbox == "bubblewrap"
        seen = await call("playwright", "browser_navigate", {"url": report_page})
        assert "Page Title: Quarterly report" in seen, seen
        # not root in its user namespace, Chromium keeps its own sandbox around the page
        pid = app.state.agent_supervisor.get(agent_id).pid
        browsers = [c for p in descendants(pid) if b"chromium" in (c := cmdline_of(p))]
        assert browsers and not [c for c in browsers if b"--no-sandbox" in c], browsers
        script = {"function": "() => document.querySelector('h1').textContent"}
        heading = await call("playwright", "browser_evaluate", script)
        assert "Revenue 1200" in heading, heading
        await call("puppeteer", "puppeteer_navigate", {"url": report_page})
        title = await call("puppeteer", "puppeteer_evaluate", {"script": "document.title"})
        assert "Quarterly report" in title, title
    finally:
        await app.state.agent_supervisor.stop(agent_id)
        settings.agent_model_override, settings.agent_ca_bundle = saved
        settings.agent_start_timeout_seconds = saved_timeout
