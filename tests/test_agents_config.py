"""Generated fast-agent configs load in fast-agent's own Settings model and card loader."""

import json
import re
import sys
from pathlib import Path

import pytest
import yaml
from fast_agent.config import Settings as FastAgentSettings
from fast_agent.config import deep_merge, resolve_env_vars
from fast_agent.core.agent_card_validation import scan_agent_card_path
from hypothesis import given
from hypothesis import strategies as st

from agents.agent_config import AgentConfig
from agents.config_builder import build_agent_config
from agents.errors import ConfigBuildError, ConfigInvalidError, MissingCredentialsError
from agents.naming import SERVER_KEY_RE, agent_name_from, server_key_from
from agents.validation import validate_files
from catalog.models import CatalogEntry, CatalogError, parse_entry
from tests.catalog_helpers import catalog_entry

CATALOG = Path(__file__).resolve().parent.parent / "catalog" / "servers"
ECHO = {
    "slug": "echo-env",
    "launch": {
        "transport": "stdio",
        "command": sys.executable,
        "args": ["tests/mcp_servers/echo_env.py"],
        "env": {"MODE": "test"},
    },
    "credentials": [
        {"name": "SECRET_TOKEN", "required": True, "kind": "env"},
        {"name": "OPTIONAL_FLAG", "required": False, "kind": "env"},
    ],
}
GITHUB = {
    "slug": "github",
    "launch": {"transport": "streamable-http", "url": "https://api.githubcopilot.com/mcp/"},
    "credentials": [{"name": "GITHUB_TOKEN", "required": True, "kind": "header"}],
}
APIFY = {
    "slug": "apify",
    "launch": {
        "transport": "sse",
        "url": "https://mcp.apify.com/sse",
        "headers": {"Authorization": "Bearer ${APIFY_API_KEY}"},
    },
    "credentials": [{"name": "APIFY_API_KEY", "required": True, "kind": "header"}],
}
VALUES = {
    "echo-env": {"SECRET_TOKEN": "tok-echo-123"},
    "github": {"GITHUB_TOKEN": "ghp_secret"},
    "apify": {"APIFY_API_KEY": "apify-secret"},
}
PROVIDED = {slug: set(values) for slug, values in VALUES.items()}


def build(entries, **kwargs) -> AgentConfig:
    entries = [e if isinstance(e, CatalogEntry) else catalog_entry(e) for e in entries]
    args = {
        "agent_name": "My Helper",
        "instruction": "Help the user.",
        "default_model": "anthropic.claude-sonnet-4-6",
        "provided": PROVIDED,
        **kwargs,
    }
    return build_agent_config(entries, **args)


def load_like_fast_agent(config: AgentConfig, tmp_path: Path, secrets: bool = True):
    """Write the downloadable files and load them the way ``fast-agent go`` would."""
    files = config.files()
    if secrets:
        files["fast-agent.secrets.yaml"] = config.secrets_yaml(VALUES)
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    raw = yaml.safe_load((tmp_path / "fast-agent.yaml").read_text())
    sec = yaml.safe_load((tmp_path / "fast-agent.secrets.yaml").read_text()) if secrets else {}
    settings = FastAgentSettings(
        _env_file=None, **deep_merge(resolve_env_vars(raw), resolve_env_vars(sec))
    )
    cards = scan_agent_card_path(tmp_path / "agent-cards", server_names=set(settings.mcp.servers))
    return files, settings, cards


@pytest.mark.parametrize(
    "entries", [[ECHO], [GITHUB, APIFY], [ECHO, GITHUB, APIFY]], ids=["stdio", "remote", "mixed"]
)
def test_generated_files_load_in_fast_agent(entries, tmp_path) -> None:
    config = build(entries)
    files, settings, cards = load_like_fast_agent(config, tmp_path)
    assert set(files) == {"fast-agent.yaml", "agent-cards/my-helper.md", "fast-agent.secrets.yaml"}
    assert [(c.name, c.errors) for c in cards] == [("my-helper", [])]
    assert settings.default_model == "anthropic.claude-sonnet-4-6"
    assert settings.session_history is False
    assert settings.logger.type == "none" and settings.logger.progress_display is False
    assert list(settings.mcp.servers) == [s["key"] for s in config.servers]
    for key in settings.mcp.servers:
        assert SERVER_KEY_RE.match(key) and "__" not in key
    # no secret value in the config or card; each credential is a ${VAR} reference
    for value in (v for server in VALUES.values() for v in server.values()):
        assert value not in files["fast-agent.yaml"] + files["agent-cards/my-helper.md"]
    card = files["agent-cards/my-helper.md"]
    assert "model:" not in card and card.rstrip().endswith("Help the user.")


def test_secrets_reach_the_right_fields(tmp_path) -> None:
    config = build([ECHO, GITHUB, APIFY])
    _, settings, _ = load_like_fast_agent(config, tmp_path)
    servers = settings.mcp.servers
    assert servers["echo-env"].env == {"MODE": "test", "SECRET_TOKEN": "tok-echo-123"}
    assert servers["echo-env"].transport == "stdio"
    assert servers["github"].transport == "http"
    assert servers["github"].headers["Authorization"] == "Bearer ghp_secret"
    assert servers["apify"].transport == "sse"
    assert servers["apify"].headers == {"Authorization": "Bearer apify-secret"}
    for key in ("github", "apify"):
        assert servers[key].auth is not None and servers[key].auth.oauth is False
    raw = yaml.safe_load(config.config_yaml())["mcp"]["servers"]
    assert raw["echo-env"]["env"]["SECRET_TOKEN"] == "${ECHO_ENV_SECRET_TOKEN}"  # noqa: S105
    assert raw["github"]["access_token"] == "${GITHUB_TOKEN}"  # noqa: S105
    assert "OPTIONAL_FLAG" not in raw["echo-env"]["env"]  # optional and not provided: left out
    # the spawned process gets exactly the referenced variables
    assert config.process_env(VALUES) == {
        "ECHO_ENV_SECRET_TOKEN": "tok-echo-123",
        "GITHUB_TOKEN": "ghp_secret",
        "APIFY_API_KEY": "apify-secret",
    }


def test_without_secrets_file_references_stay_unresolved(tmp_path) -> None:
    config = build([GITHUB])
    _, settings, _ = load_like_fast_agent(config, tmp_path, secrets=False)
    # fast-agent keeps an unset ${VAR} literally: the process env must carry it
    assert settings.mcp.servers["github"].headers["Authorization"] == "Bearer ${GITHUB_TOKEN}"


def test_config_round_trips_through_json() -> None:
    config = build([ECHO, APIFY])
    again = AgentConfig.from_json(json.loads(json.dumps(config.to_json())))
    assert again.files() == config.files()
    assert again.process_env(VALUES) == config.process_env(VALUES)


def test_missing_required_credentials_are_listed() -> None:
    with pytest.raises(MissingCredentialsError) as caught:
        build([ECHO, GITHUB, APIFY], provided={"github": {"GITHUB_TOKEN"}})
    assert caught.value.missing == {"echo-env": ["SECRET_TOKEN"], "apify": ["APIFY_API_KEY"]}
    assert "echo-env: SECRET_TOKEN" in str(caught.value)


@pytest.mark.parametrize("entries, message", [([ECHO, ECHO], "listed twice"), ([], "at least one")])
def test_malformed_inputs_are_refused(entries, message) -> None:
    with pytest.raises(ConfigBuildError, match=re.escape(message)):
        build(entries)


@pytest.mark.parametrize(
    "raw, where",
    [
        ({**ECHO, "launch": {"transport": "websocket", "url": "ws://x"}}, "launch"),
        ({**ECHO, "launch": {"transport": "stdio"}}, "launch.stdio.command"),
        (
            {**GITHUB, "launch": {"transport": "http", "url": "file:///etc/passwd"}},
            "launch.http.url",
        ),
        ({**ECHO, "credentials": [{"name": "BAD;NAME", "required": False}]}, "credentials.0.name"),
        ({**ECHO, "credentials": [{"name": "X-API-KEY"}]}, "credentials.0.name"),
        ({**ECHO, "launch": {**ECHO["launch"], "env": {"A B": "x"}}}, "launch.stdio.env"),
        ({**APIFY, "launch": {**APIFY["launch"], "headers": {"X:Y": "v"}}}, "launch.sse.headers"),
    ],
)
def test_entries_the_builder_could_not_place_are_refused_by_the_catalog(raw, where) -> None:
    # One name rule, in the catalog model: what the catalog accepts, the builder can place.
    with pytest.raises(CatalogError, match=re.escape(where)):
        catalog_entry(raw)


@pytest.mark.parametrize(
    "name",
    [
        "../../etc/passwd",
        "a/b",
        "x;rm -rf /",
        "$(id)",
        "`id`",
        "a\nb",
        "",
        " ",
        "-rf",
        "a" * 80,
        "name|cat",
        "a..b",
    ],
)
def test_odd_agent_names_are_refused(name) -> None:
    with pytest.raises(ConfigBuildError, match="Invalid agent name"):
        agent_name_from(name)


def test_agent_names_are_normalised() -> None:
    assert agent_name_from("My GitHub Helper") == "my-github-helper"
    assert agent_name_from("Slack_digest.v2") == "slack-digest-v2"
    assert agent_name_from("2fa") == "agent-2fa"


def test_colliding_server_keys_stay_unique() -> None:
    entries = [
        {"slug": slug, "launch": {"command": "x"}, "credentials": []}
        for slug in ("a.b", "a-b", "a_b")
    ]
    config = build(entries, provided={})
    assert [s["key"] for s in config.servers] == ["a-b", "a-b-2", "a-b-3"]


@given(
    st.text(min_size=1, max_size=80).filter(lambda s: any(c.isascii() and c.isalnum() for c in s))
)
def test_server_keys_are_always_clean(slug) -> None:
    key = server_key_from(slug)
    assert SERVER_KEY_RE.match(key) and "__" not in key


def test_unknown_server_keys_are_a_bug_not_ignored() -> None:
    config = build([ECHO])
    broken = config.config_dict()
    broken["mcp"]["servers"]["echo-env"]["argz"] = ["oops"]  # fast-agent would silently ignore
    with pytest.raises(ConfigInvalidError, match="unknown keys"):
        validate_files(broken, config.card_markdown(), config.name, {"echo-env"})
    with pytest.raises(ConfigInvalidError, match="agent card"):
        validate_files(
            config.config_dict(), config.card_markdown({"bogus": 1}), config.name, {"echo-env"}
        )
    with pytest.raises(ConfigInvalidError):
        build([ECHO], default_model="no-such-model-xyz")


def test_catalog_entries_build_valid_configs() -> None:
    entries = [
        parse_entry(json.loads(p.read_text()), p.name) for p in sorted(CATALOG.glob("*.json"))
    ]
    assert len(entries) >= 50
    remote = [e for e in entries if e.launch.transport != "stdio"]
    for entry in entries[::5] + remote[::2]:  # a spread sample keeps this test quick
        build([entry], provided={entry.slug: entry.missing_credentials(())})


def test_credentials_in_arguments_go_to_the_secrets_file_whole() -> None:
    entry = {
        "slug": "rabbitmq",
        "launch": {
            "command": "uvx",
            "args": ["srv", "--password", "${PASSWORD}", "--tls", "{TLS}"],
        },
        "credentials": [{"name": "PASSWORD"}, {"name": "TLS", "required": False}],
    }
    config = build([entry], provided={"rabbitmq": {"PASSWORD"}})
    server = config.config_dict()["mcp"]["servers"]["rabbitmq"]
    assert server["args"] == ["srv", "--password", "${RABBITMQ_PASSWORD}"]  # skipped TLS pair
    assert "env" not in server
    secrets = config.secrets_dict({"rabbitmq": {"PASSWORD": "pw-1"}})
    assert secrets == {"mcp": {"servers": {"rabbitmq": {"args": ["srv", "--password", "pw-1"]}}}}
