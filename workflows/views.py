"""The public shapes of a workflow's schedule and of its runs, and the next run in words."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from workflows.models import PollEvent, RunOut, ScheduleOut, WorkflowStep
from workflows.wording import describe


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def next_run_words(next_run_at: datetime | None, timezone: str, now: datetime) -> str | None:
    """ "today 08:00", "tomorrow 08:00" or "Mon 7 Dec 08:00", in the workflow's time zone."""
    if next_run_at is None:
        return None
    zone = ZoneInfo(timezone)
    when, today = next_run_at.astimezone(zone), now.astimezone(zone).date()
    clock = when.strftime("%H:%M")
    days = (when.date() - today).days
    if days == 0:
        return f"today {clock}"
    if days == 1:
        return f"tomorrow {clock}"
    return f"{when.strftime('%a')} {when.day} {when.strftime('%b')} {clock}"


def trigger_words(row: dict[str, Any]) -> str:
    """What starts the workflow, in words."""
    if row["trigger"] == "schedule":
        return describe(row["cron"], row["interval_seconds"], row["timezone"])
    if row["trigger"] == "event":
        event = row["event"]
        return f"when {event['description']} (checked every {event['every_minutes']} min)"
    return "on demand"


def schedule_view(row: dict[str, Any], now: datetime) -> ScheduleOut:
    event = row.get("event")
    return ScheduleOut(
        agent_id=str(row["agent_id"]),
        trigger=row["trigger"],
        cron=row["cron"],
        interval_seconds=row["interval_seconds"],
        timezone=row["timezone"],
        description=trigger_words(row),
        event=PollEvent.model_validate(event) if event else None,
        steps=[WorkflowStep.model_validate(s) for s in row.get("steps") or []],
        task=row["task"],
        paused=row["paused"],
        next_run_at=_iso(row["next_run_at"]),
        next_run=None
        if row["paused"]
        else next_run_words(row["next_run_at"], row["timezone"], now),
    )


def confirmation(view: ScheduleOut) -> str:
    """The sentence the chat confirms a schedule with."""
    if view.trigger == "on_demand":
        return "It runs when you ask (run now)."
    if view.paused:
        return f"{view.description}, paused."
    return f"{view.description}, next run {view.next_run or 'soon'}"


def run_view(row: dict[str, Any]) -> RunOut:
    return RunOut(
        id=str(row["id"]),
        agent_id=str(row["agent_id"]),
        trigger=row["trigger"],
        status=row["status"],
        scheduled_for=row["scheduled_for"].isoformat(),
        started_at=_iso(row["started_at"]),
        finished_at=_iso(row["finished_at"]),
        output=row["output"],
        error=row["error"],
        tool_calls=row["tool_calls"] or [],
        usage=row["usage"],
        event_items=row["event_items"],
    )
