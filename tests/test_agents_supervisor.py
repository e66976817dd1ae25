"""Supervisor helpers that need no process: error extraction, A2A replies, the agent env."""

from pathlib import Path

from pydantic import SecretStr

from agents.config_builder import build_agent_config
from agents.supervisor import Supervisor, reply_text, startup_error
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
    settings = make_settings(tmp_path, anthropic_api_key=SecretStr("sk-service"))
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
    supervisor = Supervisor(settings)
    env = supervisor._env(tmp_path, config, config.process_env({"echo": {"TOKEN": "v"}}))
    assert set(env) == {
        "PATH",
        "HOME",
        "LANG",
        "COLUMNS",
        "FASTMCP_CHECK_FOR_UPDATES",
        "FASTMCP_SHOW_SERVER_BANNER",
        "DMCP_STATUS_FILE",
        "ANTHROPIC_API_KEY",
        "ECHO_TOKEN",
    }
    assert env["HOME"] == str(tmp_path)
    assert env["ECHO_TOKEN"] == "v"  # noqa: S105
    settings.agent_model_override = "passthrough"  # no LLM key for a model that needs none
    assert "ANTHROPIC_API_KEY" not in supervisor._env(tmp_path, config, {})
