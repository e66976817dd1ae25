"""Tools are plain typed async functions; this module turns them into what the model sees.

A tool's JSON schema is derived from its signature with pydantic, its description and argument
descriptions from its docstring, so nothing is written twice. The first parameter, a
``ToolContext``, is injected by the server and never appears in the schema: the model cannot
choose the user, the session or a secret.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

from agents.supervisor import Supervisor
from auth.models import User
from catalog.embedders import Embedder
from core.config import Settings
from core.db.database import Database
from core.errors import AppError
from credentials.secrets import mask

ToolFunction = Callable[..., Awaitable[Any]]
_log = logging.getLogger(__name__)
_MAX_RESULT_CHARS = 20_000


@dataclass
class ToolContext:
    """What a tool may use, supplied by the server: never taken from the model's arguments.

    Like pydantic-ai's ``RunContext[Deps]``: the first parameter of every tool, found by its
    type, typed so a tool cannot misuse what it is given.
    """

    user: User  # the signed-in user; ``db.as_user(user.claims)`` scopes queries to them
    session_id: str
    db: Database
    settings: Settings
    embedder: Embedder | None = None  # catalog embedder, created once at start-up
    agents: Supervisor | None = None  # the app's agent runtime (its lifespan creates it)
    emit: Callable[[dict[str, Any]], None] = lambda event: None  # UI events for the client
    state: dict[str, Any] = field(default_factory=dict)  # scratch space shared within one turn
    timezone: str = "UTC"  # the user's IANA time zone (from the client), for schedules


@dataclass(frozen=True)
class ToolResult:
    """The outcome of one tool call, as the model and the UI see it."""

    content: str
    is_error: bool = False
    summary: str = ""


@dataclass(frozen=True)
class Tool:
    name: str
    description: str
    function: ToolFunction
    arguments: type[BaseModel]

    @cached_property
    def _schema(self) -> str:
        input_schema = self.arguments.model_json_schema()
        input_schema.pop("title", None)
        for prop in input_schema.get("properties", {}).values():
            prop.pop("title", None)
        schema = {"name": self.name, "description": self.description, "input_schema": input_schema}
        return json.dumps(schema)

    def schema(self) -> dict[str, Any]:
        """The Anthropic tool definition: name, description, input_schema (a fresh copy)."""
        return json.loads(self._schema)  # type: ignore[no-any-return]


def _parse_docstring(doc: str) -> tuple[str, dict[str, str]]:
    """Split a Google-style docstring into its description and its ``Args:`` descriptions.

    Other sections (``Returns:``, ``Raises:``) are for people reading the code: dropped.
    """
    description: list[str] = []
    params: dict[str, str] = {}
    section, current = "", None
    for line in inspect.cleandoc(doc).splitlines():
        if re.fullmatch(r"[A-Z][A-Za-z ]*:", line):  # a section header at column 0
            section, current = line[:-1], None
            continue
        if not section:
            description.append(line)
        elif section in ("Args", "Arguments", "Parameters"):
            match = re.match(r"^\s{1,8}(\w+)(?:\s*\([^)]*\))?:\s*(.*)$", line)
            if match and len(line) - len(line.lstrip()) <= 4:
                current = match.group(1)
                params[current] = match.group(2).strip()
            elif current and line.strip():
                params[current] = f"{params[current]} {line.strip()}"
    return "\n".join(description).strip(), params


def tool(function: ToolFunction, name: str | None = None) -> Tool:
    """Describe ``function`` (``async def f(ctx: ToolContext, ...)``) as a tool for the model."""
    signature = inspect.signature(function, eval_str=True)
    parameters = list(signature.parameters.values())
    if not parameters or parameters[0].annotation is not ToolContext:
        raise TypeError(f"{function.__name__}: the first parameter must be a ToolContext")
    description, arg_docs = _parse_docstring(function.__doc__ or "")
    fields: dict[str, Any] = {}
    for param in parameters[1:]:
        if param.annotation is inspect.Parameter.empty:
            raise TypeError(f"{function.__name__}: parameter {param.name!r} needs a type")
        default = ... if param.default is inspect.Parameter.empty else param.default
        fields[param.name] = (
            param.annotation,
            Field(default, description=arg_docs.get(param.name)),
        )
    arguments = create_model(
        f"{function.__name__}_arguments",
        __config__=ConfigDict(extra="forbid"),
        **fields,
    )
    return Tool(name or function.__name__, description, function, arguments)


def _describe_validation(error: ValidationError) -> str:
    problems = []
    for item in error.errors(include_url=False):
        where = ".".join(str(part) for part in item["loc"]) or "(arguments)"
        problems.append(f"{where}: {item['msg']}")
    return "Invalid arguments: " + "; ".join(problems) + ". Fix them and call the tool again."


def _to_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, BaseModel):
        return value.model_dump_json()
    return json.dumps(value, default=str, ensure_ascii=False)


def _summary(value: Any, text: str) -> str:
    if isinstance(value, dict) and isinstance(summary := value.get("summary"), str):
        return summary
    return text if len(text) <= 200 else text[:197] + "..."


class ToolRegistry:
    """The tools offered to the model, by name."""

    def __init__(
        self, functions: Iterable[ToolFunction | Tool] = (), timeout_seconds: float = 180.0
    ) -> None:
        self.timeout_seconds = timeout_seconds  # a hung tool must not hang the turn
        self._tools: dict[str, Tool] = {}
        for function in functions:
            self.add(function)

    def add(self, function: ToolFunction | Tool) -> Tool:
        described = function if isinstance(function, Tool) else tool(function)
        self._tools[described.name] = described
        return described

    def __contains__(self, name: str) -> bool:
        return name in self._tools

    def __getitem__(self, name: str) -> Tool:
        return self._tools[name]

    @property
    def names(self) -> list[str]:
        return list(self._tools)

    def schemas(self, cache: bool = True) -> list[dict[str, Any]]:
        """Tool definitions for the Messages API; the last one carries the cache breakpoint."""
        schemas = [t.schema() for t in self._tools.values()]
        if cache and schemas:
            schemas[-1]["cache_control"] = {"type": "ephemeral"}
        return schemas

    async def run(self, ctx: ToolContext, name: str, arguments: Any) -> ToolResult:
        """Validate ``arguments`` and run the tool. Failures come back as ``is_error`` results."""
        described = self._tools.get(name)
        if described is None:
            known = ", ".join(self._tools)
            message = f"Unknown tool {name!r}. Available tools: {known}."
            return ToolResult(message, True, f"unknown tool {name}")
        try:
            parsed = described.arguments.model_validate(arguments or {})
        except ValidationError as error:
            message = _describe_validation(error)
            return ToolResult(message, True, "invalid arguments")
        try:
            async with asyncio.timeout(self.timeout_seconds):
                value = await described.function(
                    ctx, **{key: getattr(parsed, key) for key in type(parsed).model_fields}
                )
        except TimeoutError:
            message = f"The tool {name} took too long and was stopped. Tell the user; retry later."
            return ToolResult(message, True, f"{name} timed out")
        except ToolError as error:
            return ToolResult(str(error), True, str(error)[:200])
        except AppError as error:  # every domain error is data the model can act on
            details = f" Details: {json.dumps(error.details, default=str)}" if error.details else ""
            message = mask(f"{error.message}{details}")
            return ToolResult(message, True, mask(error.message)[:200])
        except Exception as error:  # a failing tool must never break the conversation
            _log.exception("tool %s failed", name)
            message = (
                f"The tool {name} failed unexpectedly ({type(error).__name__}). "
                "Try again once, or continue without it and tell the user."
            )
            return ToolResult(message, True, f"{name} failed")
        text = mask(_to_text(value))  # a tool result never carries a secret to the model
        if len(text) > _MAX_RESULT_CHARS:  # cut inside valid JSON: a reader may parse it
            note = "The result was too long and was cut; ask for less (fewer queries or items)."
            partial = text[:_MAX_RESULT_CHARS]
            text = json.dumps({"truncated": True, "note": note, "partial": partial})
        return ToolResult(text, False, mask(_summary(value, text)))


class ToolError(Exception):
    """Raise from a tool to report a problem the model can act on (becomes ``is_error``)."""
