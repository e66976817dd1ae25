"""Response models of the chat and agent routes: the documented shape of what they answer.

Agent and turn models allow extra fields, so a capability that adds one (a schedule, a run)
reaches clients before its field is documented here.
"""

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field


class StoredMessage(BaseModel):
    id: int
    role: str
    content: list[dict[str, Any]] = Field(description="Anthropic content blocks")
    created_at: datetime


class ToolCall(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: str
    name: str
    input: dict[str, Any]
    is_error: bool
    summary: str


class ChatTurn(BaseModel):
    """One chat turn's answer (the SSE stream's ``done`` event carries the same)."""

    model_config = ConfigDict(extra="allow")

    session_id: UUID
    reply: str
    message: dict[str, Any] = Field(description="the stored final assistant message")
    tool_calls: list[ToolCall]
    events: list[dict[str, Any]] = Field(description="UI events: servers_found, ...")


class LastMessage(BaseModel):
    role: str
    text: str
    created_at: datetime


class SessionSummary(BaseModel):
    id: UUID
    title: str | None
    created_at: datetime
    updated_at: datetime
    last_message: LastMessage | None


class SessionPage(BaseModel):
    items: list[SessionSummary]
    next_cursor: str | None


class MessagePage(BaseModel):
    items: list[StoredMessage]
    next_cursor: str | None


class Agent(BaseModel):
    """An agent as its owner sees it (never its secrets)."""

    model_config = ConfigDict(extra="allow")

    id: str
    name: str
    status: str = Field(description="stopped, starting, running or failed (and others)")
    servers: list[dict[str, Any]] = Field(description="configured servers, their tools")
    tools: list[Any]
    error: str | None
    session_id: str | None
    created_at: str
    updated_at: str


class AgentList(BaseModel):
    items: list[Agent]


class AgentCreated(BaseModel):
    agent: Agent
    files: dict[str, str] = Field(description="downloadable files, path -> text (no secrets)")


class AgentFiles(BaseModel):
    files: dict[str, str]
