"""Supervisor helpers that need no process: error extraction, A2A replies, the agent env."""

from pathlib import Path

from pydantic import SecretStr

from agents.a2a_client import reply_text
from agents.config_builder import build_agent_config
from agents.process import startup_error
from agents.sandbox import agents_run_as_root
from agents.workspace import agent_env
from core.browser import browser_env
from tests.catalog_helpers import catalog_entry
from tests.conftest import make_settings

LOG = """
MCP Server Startup Error:
MCP Server: 'echo': Failed to initialize - see details. Check the server's
fast-agent.yaml configuration.

Details:
MCPError: Connection closed

Visit https://fast-agent.ai/ for more information
╭──────── Traceback (most recent call last) ────────╮
│ secret-looking internals                            │
"""


def test_startup_error_keeps_the_human_part() -> None:
    text = startup_error(LOG)
    assert text.startswith("MCP Server Startup Error: MCP Server: 'echo': Failed to initialize")
    assert "Connection closed" in text and "Traceback" not in text and "fast-agent.ai" not in text
    assert startup_error("│ only a box │\nRuntimeError: boom").endswith("RuntimeError: boom")
    assert startup_error("") == "no output"


def test_reply_text_reads_messages_and_tasks() -> None:
    assert reply_text({"message": {"parts": [{"text": "a"}, {"data": 1}, {"text": "b"}]}}) == "a\nb"
    task = {"task": {"artifacts": [{"parts": [{"text": "from artifact"}]}]}}
    assert reply_text(task) == "from artifact"
    status = {"task": {"status": {"message": {"parts": [{"text": "from status"}]}}}}
    assert reply_text(status) == "from status"


def test_agent_environment_is_minimal(tmp_path: Path) -> None:
    settings = make_settings(
        tmp_path,
        anthropic_api_key=SecretStr("sk-service"),
        credentials_key=SecretStr("k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="),
        database_url="postgresql://service:pw@localhost/db",
    )
    entry = catalog_entry(
        {"slug": "echo", "launch": {"command": "x"}, "credentials": [{"name": "TOKEN"}]}
    )
    config = build_agent_config(
        [entry],
        agent_name="a",
        instruction="i",
        default_model="anthropic.claude-sonnet-4-6",
        provided={"echo": {"TOKEN": "v"}},
    )
    secrets = config.process_env({"echo": {"TOKEN": "v"}})
    env = agent_env(settings, tmp_path, config, secrets, sandboxed=True)
    assert set(env) == {
        "PATH",
        "HOME",
        "TMPDIR",
        "LANG",
        "COLUMNS",
        "FASTMCP_CHECK_FOR_UPDATES",
        "FASTMCP_SHOW_SERVER_BANNER",
        "FAST_AGENT_HOME",
        "DMCP_STATUS_FILE",
        "DMCP_A2A_SOCKET",
        "DMCP_LOG_DIR",
        "DMCP_MAX_CONVERSATIONS",
        "DMCP_CONVERSATION_IDLE_SECONDS",
        "DMCP_SERVER_START_SECONDS",
        "ECHO_TOKEN",
    } | set(
        browser_env(settings, as_root=agents_run_as_root(settings))
    )  # no download, and the host's Chromium (test_agents_browser)
    assert env["HOME"] == str(tmp_path)
    assert env["ECHO_TOKEN"] == "v"  # noqa: S105
    # the service's own key never reaches an agent: only the one meant for agents does
    assert "sk-service" not in env.values()
    settings.agent_anthropic_api_key = SecretStr("sk-for-agents")
    env = agent_env(settings, tmp_path, config, {}, sandboxed=True)
    assert env["ANTHROPIC_API_KEY"] == "sk-for-agents"  # noqa: S105
    settings.agent_model_override = "passthrough"  # no LLM key for a model that needs none
    assert "ANTHROPIC_API_KEY" not in agent_env(settings, tmp_path, config, {}, sandboxed=True)
    # operator pass-through settings
    settings.agent_ca_bundle = Path("/etc/ssl/certs/ca-certificates.crt")
    settings.agent_extra_env = {"UV_PYTHON": "3.13", "HTTPS_PROXY": "http://proxy:3128"}
    env = agent_env(settings, tmp_path, config, {}, sandboxed=False)
    assert env["SSL_CERT_FILE"] == env["NODE_EXTRA_CA_CERTS"] == str(settings.agent_ca_bundle)
    assert env["UV_PYTHON"] == "3.13" and env["HTTPS_PROXY"] == "http://proxy:3128"
    assert env["TMPDIR"] == str(tmp_path / "tmp")


async def test_an_agent_socket_deeper_than_a_unix_path_allows_is_reachable(tmp_path) -> None:
    # A data dir deep in the file system must not make agents unreachable (sun_path ~107 bytes).
    import asyncio
    import os

    from agents.a2a_client import A2AClient

    deep = tmp_path / ("d" * 60) / ("e" * 60)
    deep.mkdir(parents=True)
    socket = deep / "a2a.sock"
    assert len(str(socket)) > 108

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}")
        await writer.drain()
        writer.close()

    fd = os.open(deep, os.O_PATH | os.O_DIRECTORY)  # the agent binds it relative to its cwd
    server = await asyncio.start_unix_server(answer, path=f"/proc/self/fd/{fd}/a2a.sock")
    client = A2AClient(socket)
    try:
        assert await client.ready()
    finally:
        await client.aclose()
        server.close()
        os.close(fd)
