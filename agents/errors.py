"""Errors of building an agent's configuration; each carries its HTTP status and code."""

from core.errors import AppError


class ConfigBuildError(AppError):
    """The inputs cannot make a valid agent (bad name, duplicate server, bad catalog entry)."""

    def __init__(self, message: str, status: int = 400, code: str = "invalid_agent_config") -> None:
        super().__init__(status, code, message)


class MissingCredentialsError(ConfigBuildError):
    """Required credentials are not stored yet; ``missing`` maps server slug -> names."""

    def __init__(self, missing: dict[str, list[str]]) -> None:
        listing = "; ".join(f"{slug}: {', '.join(names)}" for slug, names in missing.items())
        super().__init__(f"Missing required credentials: {listing}", 409, "missing_credentials")
        self.missing = missing
        self.details = {"missing": missing}


class ConfigInvalidError(AppError):
    """A generated config that fast-agent would reject: a bug in the builder, never handed out."""

    def __init__(self, message: str) -> None:
        super().__init__(500, "agent_config_bug", f"Generated config failed validation: {message}")


class AgentError(RuntimeError):
    """A problem with a user's agent that the caller should show, with an error code."""

    code = "agent_error"
    status = 409


class AgentStartError(AgentError):
    code = "agent_start_failed"
    status = 502


class AgentInstallError(AgentStartError):
    code = "agent_install_failed"


class AgentNotRunningError(AgentError):
    code = "agent_not_running"
    status = 409


class AgentTimeoutError(AgentError):
    code = "agent_timeout"
    status = 504


class AgentLimitError(AgentError):
    code = "agent_limit"
    status = 429


class AgentModelError(AgentError):
    """The agent's model needs a key this service was not given."""

    code = "agent_model_unavailable"
    status = 409


class AgentHostPathError(AgentError):
    """A host path the agent was given is no longer inside a folder shared with agents."""

    code = "agent_host_path_refused"
    status = 409


class AgentSandboxError(AgentError):
    """Agents cannot run safely here (no sandbox, and more than one user)."""

    code = "agent_sandbox_unavailable"
    status = 503
