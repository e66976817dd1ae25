"""The catalog entry: one MCP server, as stored in ``catalog/servers/<slug>.json``.

This is the one model of a server and of the credentials it needs: the credentials and agents
packages read entries through ``catalog.repository`` and use these classes as they are (the
credential's own model lives in ``catalog.credential``).

``catalog/schema.json`` is the same contract as a JSON Schema for people and other tools;
this pydantic model is what the code validates with.
"""

import hashlib
import json
import re
from collections.abc import Collection
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from catalog.credential import ENV_NAME, Credential

SLUG_PATTERN = r"^[a-z0-9][a-z0-9._-]{0,99}$"
HEADER_NAME = r"^[A-Za-z0-9_.-]{1,64}$"
# node, uv, docker, network, lib:<native library>
REQUIREMENT = r"^(node|uv|docker|network|lib:[A-Za-z0-9_.+-]{1,64})$"
# The runtime each launcher command needs (catalog.runtimes detects them on the host).
LAUNCHER_RUNTIME = {
    "npx": "node",
    "node": "node",
    "npm": "node",
    "uvx": "uv",
    "uv": "uv",
    "docker": "docker",
}


_GENERIC_NAME_WORDS = frozenset(
    "mcp server servers ai api remote official cloud data docs tools tool search news the for and"
    " of io app com dev labs awslabs reference archived".split()
)


# The credential name under which an OAuth connection's access token is stored (oauth package).
OAUTH_ACCESS_TOKEN = "OAUTH_ACCESS_TOKEN"  # noqa: S105 (a name, not a secret)


def generic_name_words() -> frozenset[str]:
    """Words that appear in many server names and name no particular one ("MCP", "Server")."""
    return _GENERIC_NAME_WORDS


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class StdioLaunch(_Strict):
    transport: Literal["stdio"] = "stdio"
    command: str = Field(min_length=1)
    args: list[str] = Field(default_factory=list)
    env: dict[Annotated[str, Field(pattern=ENV_NAME)], str] = Field(default_factory=dict)


class RemoteLaunch(_Strict):
    transport: Literal["http", "sse"]
    url: str = Field(pattern=r"^https?://")
    headers: dict[Annotated[str, Field(pattern=HEADER_NAME)], str] = Field(default_factory=dict)


Launch = Annotated[StdioLaunch | RemoteLaunch, Field(discriminator="transport")]


class Tool(_Strict):
    name: str = Field(min_length=1, max_length=200)
    description: str = ""


class Verified(_Strict):
    """The last ``dynamic-mcp catalog verify`` outcome, set by the loader from catalog/verified/."""

    status: str = Field(min_length=1, max_length=40)
    checked: str
    version: str | None = None


def launcher_runtime(launch: "StdioLaunch | RemoteLaunch") -> str | None:
    """What a launch needs at the very least: a remote server the network, npx node, ...;
    None for another command (an operator's own executable: nothing to detect)."""
    if isinstance(launch, RemoteLaunch):
        return "network"
    return LAUNCHER_RUNTIME.get(launch.command.rsplit("/", 1)[-1])


class CatalogEntry(_Strict):
    slug: str = Field(pattern=SLUG_PATTERN)
    name: str = Field(min_length=1, max_length=200)
    description: str = Field(min_length=10, max_length=2000)
    tags: list[str] = Field(default_factory=list)
    categories: list[str] = Field(default_factory=list)
    homepage: str | None = Field(default=None, pattern=r"^https?://")
    launch: Launch
    credentials: list[Credential] = Field(default_factory=list)
    tools: list[Tool] = Field(default_factory=list)
    # How a remote server authenticates: "none", "oauth" (the user clicks Connect; credentials,
    # when listed, are an alternative such as a personal access token) or "api_key" (a key the
    # user pastes, sent in a header or the URL). Stdio servers leave it unset.
    auth: Literal["none", "oauth", "api_key"] | None = None
    # What it needs to run; the launcher's runtime is always included (added when absent).
    requires: list[Annotated[str, Field(pattern=REQUIREMENT)]] = Field(default_factory=list)
    archived: bool = False  # the upstream project is archived: prefer a maintained server
    verification: Verified | None = None

    @model_validator(mode="after")
    def _auth_kind(self) -> "CatalogEntry":
        if isinstance(self.launch, RemoteLaunch) and self.auth is None and self.credentials:
            self.auth = "api_key"  # imported entries name their header or URL credentials
        if self.auth == "api_key" and not self.credentials:
            raise ValueError("auth: 'api_key' needs the key listed under credentials")
        if self.auth == "none" and any(c.required for c in self.credentials):
            raise ValueError("auth: 'none' but a credential is required; use 'api_key'")
        return self

    @model_validator(mode="after")
    def _paths_run_here(self) -> "CatalogEntry":
        # a remote server or a Docker container never sees what the agent's sandbox binds
        paths = [c.name for c in self.credentials if c.path is not None]
        if paths and launcher_runtime(self.launch) in ("network", "docker"):
            raise ValueError(f"credentials {paths}: a host path needs a server run here directly")
        return self

    @model_validator(mode="after")
    def _unique_credentials(self) -> "CatalogEntry":
        names = [c.name for c in self.credentials]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"credentials: duplicate names {duplicates}")
        return self

    @model_validator(mode="after")
    def _launcher_required(self) -> "CatalogEntry":
        runtime = launcher_runtime(self.launch)
        if runtime is not None and runtime not in self.requires:
            self.requires = [runtime, *self.requires]
        self.requires = list(dict.fromkeys(self.requires))
        return self

    def credential(self, name: str) -> Credential | None:
        return next((c for c in self.credentials if c.name == name), None)

    def missing_credentials(self, stored: Collection[str]) -> list[str]:
        """The one answer to "what is missing": required credential names not in ``stored``.

        An OAuth server also needs its connection (``OAUTH_ACCESS_TOKEN``, stored when the user
        clicks Connect), unless the user stored a token the server accepts instead.
        """
        missing = [c.name for c in self.credentials if c.required and c.name not in stored]
        if (
            self.auth == "oauth"
            and OAUTH_ACCESS_TOKEN not in stored
            and not any(c.name in stored for c in self.credentials)
        ):
            missing.insert(0, OAUTH_ACCESS_TOKEN)
        return missing

    def content_hash(self) -> str:
        """sha256 of the canonical JSON: equal hashes mean nothing to re-embed or rewrite."""
        canonical = json.dumps(self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()

    def embedding_text(self) -> str:
        """What the embedder sees: name, description, tags and tool names."""
        tools = ", ".join(t.name.replace("_", " ") for t in self.tools[:15])
        parts = [f"{self.name}: {self.description}"]
        if self.tags:
            parts.append("Tags: " + ", ".join(self.tags))
        if tools:
            parts.append("Tools: " + tools)
        return "\n".join(parts)

    def search_name(self) -> str:
        """The brand: first distinctive word of the name and of the slug ("Reddit", "Camunda";
        not "MCP", "AI" or "Engine"), matched unstemmed against the request's words."""
        brands = []
        for text in (self.name, self.slug):
            words = [
                w
                for w in re.findall(
                    r"[a-z0-9][a-z0-9.]*[a-z0-9]|[a-z0-9]", text.lower().replace("-", " ")
                )
                if w not in _GENERIC_NAME_WORDS
            ]
            if words:
                brands.append(words[0])
        return " ".join(dict.fromkeys(brands))

    def search_tags(self) -> str:
        return " ".join(w.replace("-", " ") for w in [*self.tags, *self.categories, self.slug])

    def search_tools(self) -> str:
        return " ".join(
            f"{t.name.replace('_', ' ').replace('-', ' ')} {t.description}" for t in self.tools
        )


class CatalogError(ValueError):
    """A catalog file that cannot be used, with the file and the fields at fault."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        super().__init__(f"{source}: " + "; ".join(problems))


def _describe(exc: ValidationError) -> list[str]:
    problems = []
    for error in exc.errors():
        where = ".".join(str(p) for p in error["loc"]) or "(entry)"
        problems.append(f"{where}: {error['msg']}")
    return problems


def parse_entry(data: object, source: str) -> CatalogEntry:
    """Validate one entry; raise CatalogError naming ``source`` and each bad field."""
    try:
        return CatalogEntry.model_validate(data)
    except ValidationError as exc:
        raise CatalogError(source, _describe(exc)) from None


def read_entries(path: Path) -> list[tuple[str, object]]:
    """Raw entries of a ``.json`` (one entry or a list) or ``.jsonl`` file, with their source."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".jsonl":
        out: list[tuple[str, object]] = []
        for number, line in enumerate(text.splitlines(), start=1):
            if line.strip():
                out.append((f"{path}:{number}", json.loads(line)))
        return out
    data = json.loads(text)
    if isinstance(data, list):
        return [(f"{path}[{i}]", item) for i, item in enumerate(data)]
    return [(str(path), data)]
