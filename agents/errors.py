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
