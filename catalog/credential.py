"""The one credential model: a value a person supplies for a catalog server, and its rules.

``catalog.models.CatalogEntry`` lists these under ``credentials``; the credentials package
validates submitted values against them.
"""

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

# The one name rule for a credential and for a launch environment variable: a portable
# environment variable name, so every credential the catalog accepts can reach its server.
ENV_NAME = r"^[A-Za-z_][A-Za-z0-9_]{0,127}$"


# Names that say "secret" (GITHUB_TOKEN, DB_PASSWORD, OPENAI_API_KEY) unless the last word makes
# them a plain setting (SENTRY_TOKEN_URL, NEO4J_RESPONSE_TOKEN_LIMIT, AWS_ACCESS_KEY_ID).
_SECRET_WORD = re.compile(
    r"(^|_)(APIKEY|APITOKEN|PAT|KEY|TOKEN|SECRET|PASSWORD|PASSWD|PWD|PASS|CREDENTIALS?|COOKIE|PRIVATE|AUTH)(_|$)",
    re.IGNORECASE,
)
_SETTING_SUFFIX = re.compile(
    r"_(URL|URI|LIMIT|NAME|HOST|PORT|PATH|DIR|TYPE|ENDPOINT|EXPIRY|TTL|ID|REGION|USER|USERNAME)$",
    re.IGNORECASE,
)


def looks_secret(name: str) -> bool:
    """Whether a credential's name says it is a secret (the catalog marks those secret)."""
    return bool(_SECRET_WORD.search(name)) and not _SETTING_SUFFIX.search(name)


# A credential whose value is a folder or a file on the service's own machine (host path).
PathKind = Literal["directory", "file"]


class Credential(BaseModel):
    """One value a person must supply: an env var (stdio) or a header value (remote)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(pattern=ENV_NAME)
    description: str = Field(min_length=1)
    secret: bool = True
    required: bool = True
    kind: Literal["env", "header"] = "env"
    obtain_url: str | None = Field(default=None, pattern=r"^https?://")
    pattern: str | None = None
    example: str | None = None
    # The value is a host path the server opens: checked against AGENT_SHARED_DIRS when saved
    # and at every start, and bound into the agent's sandbox at the same path.
    path: PathKind | None = None

    @model_validator(mode="after")
    def _path_is_plain(self) -> "Credential":
        if self.path is None:
            return self
        if "secret" not in self.model_fields_set:
            self.secret = False  # a path is shown back in errors: it is never a secret
        elif self.secret:
            raise ValueError("a host path is not a secret (errors show it): set secret: false")
        if self.kind != "env":
            raise ValueError("a host path is for a server this machine runs: kind must be env")
        return self

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"not a valid regular expression: {exc}") from exc
        return value

    def instruction(self) -> str:
        """What it is, where to create it and the expected format, for a person."""
        text = f"{self.name}: {self.description or 'a value this server needs'}".rstrip(".") + "."
        if self.obtain_url:
            text += f" Create it at {self.obtain_url}."
        if self.path is not None:
            what = "folder" if self.path == "directory" else "file"
            text += (
                f" A full path to a {what} on the machine this service runs on (not the user's"
                " own computer), inside a folder the operator shares with agents."
            )
        if self.example:
            text += f" It looks like {self.example}."
        elif self.pattern:
            text += f" Expected format (regular expression): {self.pattern}."
        return text

    def ui(self, provided: bool) -> dict[str, Any]:
        """The form field the page shows (never a value)."""
        return {
            "name": self.name,
            "description": self.description,
            "secret": self.secret,
            "required": self.required,
            "obtain_url": self.obtain_url,
            "example": self.example,
            "pattern": self.pattern,
            "path": self.path,
            "provided": provided,
        }
