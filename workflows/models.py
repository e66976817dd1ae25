"""A workflow's shapes: its steps, its polled event, the schedule a person or model sets."""

from __future__ import annotations

from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator

Text = Annotated[str, Field(min_length=1, max_length=2000)]


class WorkflowStep(BaseModel):
    """One step: read something, do something with it, or deliver the result somewhere."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["read", "do", "deliver"]
    description: Text
    servers: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(
        default_factory=list, max_length=10
    )


class PollEvent(BaseModel):
    """An event found by polling: the agent is asked ``check`` every few minutes and answers
    with the current items as JSON; items whose ``id_field`` was not seen before start a run.
    """

    model_config = ConfigDict(extra="forbid")

    description: Annotated[
        str,
        Field(
            min_length=1, max_length=2000, description='e.g. "a new issue is opened in acme/api"'
        ),
    ]
    check: Annotated[
        str,
        Field(
            min_length=1,
            max_length=4000,
            description='The message asking the agent for the current items, e.g. "List the '
            'open issues of acme/api as a JSON list of {id, title, url}."',
        ),
    ]
    every_minutes: Annotated[int, Field(ge=1, le=1440, description="How often to check.")] = 5
    id_field: Annotated[
        str, Field(min_length=1, max_length=100, description="The field that identifies an item.")
    ] = "id"


def checked_timezone(value: str) -> str:
    """``value`` if it is an IANA time-zone name, else ValueError."""
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a name too long for a path
        raise ValueError(
            f"unknown time zone {value[:64]!r}; use an IANA name like Europe/Berlin"
        ) from None
    return value


class ScheduleIn(BaseModel):
    """PUT /api/agents/{id}/schedule: words, a cron expression, an interval, or a polled event."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"text": "every weekday at 8:00", "timezone": "Europe/Berlin"},
                {"cron": "0 8 * * *", "timezone": "Asia/Tokyo", "task": "Tell me the time."},
                {"interval_seconds": 3600},
                {"paused": True},
            ]
        },
    )

    text: Annotated[str, Field(min_length=1, max_length=500)] | None = None
    cron: Annotated[str, Field(min_length=9, max_length=100)] | None = None
    interval_seconds: Annotated[int, Field(ge=1, le=31_536_000)] | None = None
    event: PollEvent | None = None
    timezone: str | None = None
    task: Annotated[str, Field(min_length=1, max_length=20_000)] | None = None
    paused: bool | None = None

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        return None if value is None else checked_timezone(value)


class ScheduleOut(BaseModel):
    agent_id: str
    trigger: Literal["schedule", "event", "on_demand"]
    cron: str | None
    interval_seconds: int | None
    timezone: str
    description: str
    event: PollEvent | None
    steps: list[WorkflowStep]
    task: str
    paused: bool
    next_run_at: str | None
    next_run: str | None  # in words, in the workflow's time zone: "tomorrow 08:00"


class RunOut(BaseModel):
    id: str
    agent_id: str
    trigger: Literal["schedule", "manual", "event"]
    status: Literal["queued", "running", "succeeded", "failed"]
    scheduled_for: str
    started_at: str | None
    finished_at: str | None
    output: str | None
    error: str | None
    tool_calls: list[dict[str, object]]
    usage: dict[str, object] | None
    event_items: list[dict[str, object]] | None


class RunPage(BaseModel):
    runs: list[RunOut]
    next_cursor: str | None
