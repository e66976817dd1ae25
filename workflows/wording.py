"""Schedules in words for people: "every weekday at 08:00 Europe/Berlin", "every 2 hours"."""

from __future__ import annotations

DAYS = ("sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday")


def _hhmm(hour: str, minute: str) -> str:
    return f"{int(hour):02d}:{int(minute):02d}"


def describe(cron: str | None, interval_seconds: int | None, timezone: str) -> str:
    """Words for a schedule, e.g. "every weekday at 08:00 Europe/Berlin"."""
    if interval_seconds is not None:
        for unit, seconds in (("week", 604800), ("day", 86400), ("hour", 3600), ("minute", 60)):
            if interval_seconds % seconds == 0:
                count = interval_seconds // seconds
                return f"every {unit}" if count == 1 else f"every {count} {unit}s"
        return f"every {interval_seconds} seconds"
    fields = (cron or "").split()
    if len(fields) != 5:
        return f"cron '{cron}' ({timezone})"
    minute, hour, dom, month, dow = fields
    if not (minute.isdigit() and month == "*"):
        return f"cron '{cron}' ({timezone})"
    if hour == "*" and dom == "*" and dow == "*":
        return f"every hour at :{int(minute):02d}"
    if not hour.isdigit():
        return f"cron '{cron}' ({timezone})"
    at = f"at {_hhmm(hour, minute)} {timezone}"
    if dom.isdigit() and dow == "*":
        return f"on day {dom} of every month {at}"
    if dom != "*":
        return f"cron '{cron}' ({timezone})"
    named = {"*": "every day", "1-5": "every weekday", "0,6": "every weekend day"}
    if dow in named:
        return f"{named[dow]} {at}"
    try:
        days = [DAYS[int(d) % 7].capitalize() for d in dow.split(",")]
    except ValueError:
        return f"cron '{cron}' ({timezone})"
    listed = days[0] if len(days) == 1 else ", ".join(days[:-1]) + " and " + days[-1]
    return f"every {listed} {at}"
