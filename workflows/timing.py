"""When a schedule is due: the next due time after an instant, and the plan for one sweep.

Cron expressions are read in the workflow's own time zone (so "0 8 * * *" in Europe/Berlin
stays at 08:00 local time across daylight-saving changes); all instants returned are UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from croniter import croniter

MissedRunPolicy = Literal["catch_up_once", "skip"]


def valid_cron(expression: str) -> bool:
    """True for a standard 5-field cron expression."""
    return len(expression.split()) == 5 and bool(croniter.is_valid(expression))


def next_due(
    cron: str | None, interval_seconds: int | None, timezone: str, after: datetime
) -> datetime:
    """The first due time strictly after ``after`` (UTC)."""
    if interval_seconds is not None:
        return (after + timedelta(seconds=interval_seconds)).astimezone(UTC)
    if cron is None:
        raise ValueError("a schedule needs a cron expression or an interval")
    local = after.astimezone(ZoneInfo(timezone))
    found: datetime = croniter(cron, local).get_next(datetime)
    return found.astimezone(UTC)


@dataclass(frozen=True)
class SweepPlan:
    """What one sweep does for one workflow: runs to create and the new ``next_run_at``."""

    runs: list[datetime]  # due times to run, oldest first (missed ones collapsed per policy)
    next_run_at: datetime
    missed: int  # due times that passed while nobody was sweeping, not run separately


def plan_sweep(
    *,
    cron: str | None,
    interval_seconds: int | None,
    timezone: str,
    next_run_at: datetime,
    now: datetime,
    horizon: datetime,
    on_time: timedelta,
    policy: MissedRunPolicy,
) -> SweepPlan:
    """The due times in ``[next_run_at, horizon]`` and what to do about the late ones.

    A due time more than ``on_time`` in the past was missed (the service was down). The policy
    ``catch_up_once`` runs the most recent missed time once; ``skip`` runs none of them.
    Due times up to ``horizon`` are planned now, so runs start on time between sweeps.
    """
    late = now - on_time
    due, missed, latest_missed = next_run_at, 0, None
    if interval_seconds is not None and due < late:
        # Interval schedules skip ahead arithmetically instead of walking every missed step.
        step = timedelta(seconds=interval_seconds)
        missed = (late - due) // step + 1
        latest_missed, due = due + step * (missed - 1), due + step * missed
    while due < late:
        latest_missed, missed = due, missed + 1
        due = next_due(cron, interval_seconds, timezone, due)
        if missed >= 10_000:  # a once-a-minute cron down for a week: stop walking
            due = next_due(cron, interval_seconds, timezone, late)
    runs: list[datetime] = []
    if latest_missed is not None and policy == "catch_up_once":
        runs.append(latest_missed)
    while due <= horizon:
        runs.append(due)
        due = next_due(cron, interval_seconds, timezone, due)
    return SweepPlan(runs, due, missed - (1 if runs and runs[0] == latest_missed else 0))
