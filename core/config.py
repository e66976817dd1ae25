"""Every environment variable the service reads, in one typed settings class.

Nothing else in the code base reads ``os.environ``: add a field here instead.
"""

import os
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

import platformdirs
from pydantic import BaseModel, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("dynamic-mcp"))


class OAuthClientSettings(BaseModel):
    """An OAuth client the operator registered at one authorization server (e.g. GitHub)."""

    client_id: str
    client_secret: SecretStr | None = None


class Settings(BaseSettings):
    """Service configuration. Defaults run the embedded stack with no external account."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    # --- runtime -----------------------------------------------------------------------------
    environment: Literal["development", "production", "test"] = "development"
    log_level: str = "INFO"
    log_format: Literal["auto", "json", "text"] = "auto"
    host: str = "127.0.0.1"
    port: int = 8000
    data_dir: Path = Field(default_factory=_default_data_dir)
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    max_body_bytes: int = 1_000_000
    # Proxies whose X-Forwarded-For/-Proto are believed ("*" = any peer: only behind a proxy).
    forwarded_allow_ips: str = "127.0.0.1"
    # The address people use to reach the service (sign-in links); default http://HOST:PORT.
    public_url: str | None = None
    # Slow clients (slowloris): a request's headers, and then its body, must arrive in time.
    http_header_timeout_seconds: float = 10.0
    http_body_timeout_seconds: float = 30.0
    prompts_dir: Path = PROJECT_ROOT / "prompts"
    # Extra catalog folders (operators' own servers), loaded beside the bundled catalog.
    catalog_dirs: Annotated[list[Path], NoDecode] = Field(default_factory=list)
    sql_dir: Path = PROJECT_ROOT / "sql"

    # --- database ----------------------------------------------------------------------------
    database_url: str | None = None
    db_pool_min: int = 1
    db_pool_max: int = 10
    # Supabase's transaction pooler (port 6543) cannot hold prepared statements: set to 0 there.
    db_statement_cache_size: int = 100
    # How often the embedded Postgres is checked for life (and restarted when it died).
    embedded_postgres_check_seconds: float = 2.0

    # --- Supabase auth -----------------------------------------------------------------------
    supabase_url: str | None = None
    supabase_anon_key: SecretStr | None = None
    supabase_jwt_secret: SecretStr | None = None
    jwt_audience: str = "authenticated"
    jwt_leeway_seconds: int = 30
    jwks_cache_ttl_seconds: int = 600
    local_token_ttl_seconds: int = 3600
    # One-time sign-in links for the embedded default's operator (printed at start).
    local_sign_in_link_ttl_seconds: int = 900
    local_sign_in_link_at_start: bool = True

    # --- models ------------------------------------------------------------------------------
    anthropic_api_key: SecretStr | None = None
    anthropic_base_url: str | None = None
    anthropic_model: str = "claude-sonnet-4-6"
    anthropic_max_tokens: int = 2048
    model_deadline_seconds: float = 60.0
    model_max_retries: int = 4
    chat_max_turns: int = 8
    # backoff between model retries (a server's retry-after wins when longer)
    model_retry_base_seconds: float = 0.5
    model_retry_max_seconds: float = 8.0

    # --- embeddings --------------------------------------------------------------------------
    openai_api_key: SecretStr | None = None
    openai_base_url: str | None = None
    openai_embedding_model: str = "text-embedding-3-small"

    # --- catalog -----------------------------------------------------------------------------
    # What this host can run MCP servers with: "auto" detects npx (node), uvx (uv), a reachable
    # Docker engine and native libraries, and assumes the network; or a comma-separated list
    # of node, uv, docker, network, lib:<name> that replaces detection.
    host_runtimes: str = "auto"

    # --- credentials -------------------------------------------------------------------------
    credentials_key: SecretStr | None = None
    # At start-up, prove the key ring decrypts what the database holds (refuse to start if not).

    # --- OAuth for remote MCP servers --------------------------------------------------------
    # Where browsers reach this service: the OAuth redirect URI and the Client ID Metadata
    # Document are built from it (https in production).
    public_base_url: str | None = None
    # Operator-registered clients, by authorization server issuer:
    # {"https://github.com/login/oauth": {"client_id": "...", "client_secret": "..."}}
    oauth_clients: dict[str, OAuthClientSettings] = Field(default_factory=dict)
    oauth_state_ttl_seconds: int = 600
    # Refresh an access token this long before it expires (at agent start and while it runs).
    oauth_refresh_margin_seconds: int = 300
    oauth_refresh_interval_seconds: float = 60.0

    # --- agents (fast-agent) -----------------------------------------------------------------
    agent_default_model: str = "anthropic.claude-sonnet-4-6"
    agent_model_override: str | None = None
    agent_max_per_user: int = 3
    agent_idle_timeout_seconds: float = 1800.0
    agent_message_timeout_seconds: float = 60.0
    agent_start_timeout_seconds: float = 60.0
    # The Anthropic key agents use for their own model calls. Only this key is given to agents:
    # the service's ANTHROPIC_API_KEY never is. Unset: agents get no model key.
    agent_anthropic_api_key: SecretStr | None = None
    # Conversations (chat sessions) one agent keeps live; idle ones are reclaimed.
    agent_max_conversations: int = 4
    agent_conversation_idle_seconds: float = 600.0
    # bubblewrap sandbox: "auto" uses it where available, "require" refuses to run agents
    # without it, "off" runs agents unsandboxed (single local operator only, unless opted out).
    agent_sandbox: Literal["auto", "require", "off"] = "auto"
    agent_allow_unsandboxed_multi_user: bool = False
    # Extra read-only paths visible inside the sandbox (where an operator's runtimes live).
    agent_sandbox_paths: Annotated[list[Path], NoDecode] = Field(default_factory=list)
    # Host folders (os.pathsep-separated) a user may give an agent: a credential that names a
    # host path must lie inside one, and only that path is bound into the agent's sandbox.
    agent_shared_dirs: Annotated[list[Path], NoDecode] = Field(default_factory=list)
    # Resource limits per agent process (0 = no limit).
    agent_memory_limit_mb: int = 4096
    agent_max_processes: int = 512
    agent_max_open_files: int = 1024
    agent_cpu_seconds: int = 0
    # Operator settings every agent and MCP server process gets (CA bundle, proxies, UV_PYTHON).
    agent_ca_bundle: Path | None = None
    agent_extra_env: dict[str, str] = Field(default_factory=dict)
    agent_install_timeout_seconds: float = 300.0
    # The Chromium agents' browser servers drive (core.browser): "auto" finds it on PATH, "off"
    # gives them none, else its absolute path. No agent ever downloads a browser of its own.
    agent_browser: str = "auto"

    # --- workflows (schedules, event triggers, runs; PgQueuer) --------------------------------
    workflows_enabled: bool = True
    workflow_timezone: str = "UTC"  # for schedules when the client sends no time zone
    workflow_sweep_cron: str = "* * * * *"  # how often one instance queues what is due
    workflow_lookahead_seconds: int = 75  # queue runs due before the next sweep, on time
    workflow_on_time_seconds: int = 120  # a due time older than this was missed (service down)
    workflow_missed_runs: Literal["catch_up_once", "skip"] = "catch_up_once"
    workflow_min_interval_seconds: int = 60
    workflow_dequeue_timeout_seconds: float = 30.0

    # --- limits ------------------------------------------------------------------------------
    rate_limit_chat_per_minute: int = 30
    rate_limit_credentials_per_minute: int = 30
    rate_limit_agents_per_minute: int = 10
    # Per client address (accounts are free to make): sign-in and refresh, then every
    # rate-limited route together.
    rate_limit_auth_per_minute: int = 20
    rate_limit_ip_per_minute: int = 120

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return [origin.strip() for origin in value.split(",") if origin.strip()]
        return value

    @field_validator("catalog_dirs", mode="before")
    @classmethod
    def _split_dirs(cls, value: object) -> object:
        if isinstance(value, str):
            return [Path(part.strip()) for part in value.split(",") if part.strip()]
        return value

    @field_validator("public_base_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("https://", "http://")):
            raise ValueError("PUBLIC_BASE_URL must start with https:// (or http:// locally)")
        return value.rstrip("/") if value else value

    @field_validator("agent_sandbox_paths", mode="before")
    @classmethod
    def _split_paths(cls, value: object) -> object:
        if isinstance(value, str):
            return [Path(item) for item in value.split(":") if item.strip()]
        return value

    @field_validator("agent_browser")
    @classmethod
    def _browser(cls, value: str) -> str:
        if value.strip() not in ("auto", "off") and not Path(value.strip()).is_absolute():
            raise ValueError(f"AGENT_BROWSER must be auto, off or an absolute path, not {value!r}")
        return value.strip()

    @field_validator("agent_shared_dirs", mode="before")
    @classmethod
    def _split_shared(cls, value: object) -> object:
        if isinstance(value, str):
            value = [Path(item.strip()) for item in value.split(os.pathsep) if item.strip()]
        return value

    @field_validator("agent_shared_dirs")
    @classmethod
    def _absolute(cls, value: list[Path]) -> list[Path]:
        relative = [str(path) for path in value if not path.is_absolute()]
        if relative:
            raise ValueError(f"AGENT_SHARED_DIRS must list absolute paths, not {relative}")
        return value

    @property
    def supabase_enabled(self) -> bool:
        return bool(self.supabase_url)

    @property
    def json_logs(self) -> bool:
        if self.log_format == "auto":
            return self.environment == "production"
        return self.log_format == "json"

    def ensure_data_dir(self) -> Path:
        """Create the data directory (private to this user) and return it."""
        self.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        return self.data_dir


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()
