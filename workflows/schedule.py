"""Find a schedule phrase in plain text ("every weekday at 8am") and turn it into cron or interval.

Pure: no I/O beyond the time-zone database, no clock. ``find_schedule`` returns the phrase, its
character span (so callers can strip it, e.g. search must not read "every Monday" as monday.com),
a 5-field cron expression or an interval in seconds, and the time zone the cron is read in.
Phrases that look like a schedule but cannot be one ("at 25:00", "every 0 hours") raise
``ScheduleError``; text without a schedule gives ``None``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from workflows.wording import DAYS, describe

_DAY_RE = (
    r"(?:sun(?:day)?|mon(?:day)?|tue(?:s(?:day)?)?|wed(?:nesday)?|thu(?:r(?:s(?:day)?)?)?"
    r"|fri(?:day)?|sat(?:urday)?)"
)
_NUMBERS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "ten": 10,
    "twelve": 12, "fifteen": 15, "twenty": 20, "thirty": 30, "forty-five": 45, "other": 2,
}  # fmt: skip
# Default hour when the phrase names a part of the day (or nothing) but no clock time.
_PART_HOURS = {"morning": 8, "afternoon": 15, "evening": 18, "night": 21, "": 9}
MIN_INTERVAL_SECONDS = 60


class ScheduleError(ValueError):
    """The text names a schedule that cannot be run (e.g. "at 25:00", "every 0 minutes")."""


@dataclass(frozen=True)
class Schedule:
    """A schedule found in text: ``cron`` (5 fields, in ``timezone``) or ``interval_seconds``."""

    phrase: str
    span: tuple[int, int]
    timezone: str
    cron: str | None = None
    interval_seconds: int | None = None

    @property
    def kind(self) -> Literal["cron", "interval"]:
        return "cron" if self.cron else "interval"

    def describe(self) -> str:
        """The schedule in words, e.g. "every weekday at 08:00 Europe/Berlin"."""
        return describe(self.cron, self.interval_seconds, self.timezone)


_NUM = r"(?:\d+|a|an|one|two|three|four|five|six|ten|twelve|fifteen|twenty|thirty|forty-five)"
_UNIT = r"(?:sec(?:ond)?s?|min(?:ute)?s?|h(?:ou)?rs?|hour|days?|weeks?)"
_PART = r"(?:morning|afternoon|evening|night)"
_DAY_LIST = rf"{_DAY_RE}s?(?:\s*(?:,|and|&|or)\s*{_DAY_RE}s?)*"
_CLOCK = (
    r"(?:(?P<noon>noon|midday|midnight)"
    r"|(?P<h>\d{1,2})(?:[:.h](?P<m>\d{2}))?\s*(?P<ampm>a\.?m\.?|p\.?m\.?|o'?clock)?)"
)
# One alternative per kind of phrase; each is matched case-insensitively on word boundaries.
_FREQUENCY = re.compile(
    r"\b(?:"
    rf"(?P<interval>every\s+(?P<n>{_NUM}|other)?\s*(?P<unit>{_UNIT}))|(?P<ly>hourly|daily|nightly"
    r"|weekly|monthly)|(?:once\s+(?:an?|per|every)|per)\s+(?P<per>hour|day|week|month)"
    rf"|(?P<times>twice|{_NUM}\s+times)\s+(?:an?|per)\s+(?P<tunit>hour|day|week)"
    r"|(?P<weekday>(?:every|each|on)\s+(?:week|work(?:ing)?)\s?days?|weekdays"
    r"|(?:from\s+)?mon(?:day)?\s*(?:-|to|through|thru|till|until)\s*fri(?:day)?)"
    r"|(?P<weekend>(?:every|each|on)\s+(?:the\s+)?weekends?|weekends)"
    rf"|(?P<days>(?:every|each|on)\s+(?P<daylist>{_DAY_LIST})(?:\s+(?P<daypart>{_PART})s?)?)"
    rf"|(?P<plural>{_DAY_RE}s)"
    rf"|(?P<part>(?:every|each)\s+(?:single\s+)?(?P<pname>{_PART}|day|month|week)"
    rf"|(?P<pplural>{_PART})s|everyday|nightly)"
    r")\b",
    re.IGNORECASE,
)
_TIME = re.compile(
    rf"\b(?:at|@|by|around)\s+(?:about\s+)?{_CLOCK}(?![\w:])"
    rf"|\b(?P<h2>\d{{1,2}})(?:[:.](?P<m2>\d{{2}}))?\s*(?P<ampm2>a\.?m\.?|p\.?m\.?)(?!\w)"
    rf"|\b(?P<h3>[01]?\d|2[0-3]):(?P<m3>\d{{2}})\b"
    rf"|\b(?P<pre>in\s+the\s+|this\s+)?(?P<part2>{_PART})s?\b",
    re.IGNORECASE,
)
_ZONE = re.compile(
    r"\s*(?:\(|,\s*|\s(?:in\s+|time\s+)?)?"
    r"(?P<zone>UTC|GMT|Z|[A-Z][A-Za-z_]+/[A-Z][A-Za-z_]+(?:/[A-Z][A-Za-z_]+)?)"
    r"(?:\s+time)?\)?(?![\w/])"
)
_GAP = re.compile(r"[\s,;]*(?:and\s+|on\s+|,\s*)?[\s,]*", re.IGNORECASE)
_MAX_GAP = 6  # characters between two parts of one phrase ("every Monday, at 8")


def _number(word: str | None) -> int:
    if word is None:
        return 1
    word = word.lower()
    return int(word) if word.isdigit() else _NUMBERS[word]


def _day_index(word: str) -> int:
    word = word.lower().rstrip("s") if len(word) > 3 else word.lower()
    return next(i for i, name in enumerate(DAYS) if name.startswith(word[:3]))


def _clock(
    hour: str | None, minute: str | None, ampm: str | None, noon: str | None
) -> tuple[int, int, bool]:
    """(hour, minute, explicit 12-hour marker) from a matched clock time."""
    if noon:
        return (0 if noon.lower() == "midnight" else 12), 0, True
    h, m = int(hour or 0), int(minute or 0)
    marker = (ampm or "").lower().replace(".", "")
    if marker in ("am", "pm"):
        if not 1 <= h <= 12:
            raise ScheduleError(f"{h}{marker} is not a time of day")
        h = h % 12 + (12 if marker == "pm" else 0)
    if h > 23 or m > 59:
        raise ScheduleError(f"{hour}:{minute or '00'} is not a time of day")
    return h, m, marker in ("am", "pm")


@dataclass
class _Parts:
    cron_days: str = "*"
    day_of_month: str = "*"
    part: str = ""
    hourly: bool = False
    interval: int | None = None


def _unit_seconds(unit: str) -> int:
    unit = unit.lower()
    if unit.startswith("min"):
        return 60
    return {"s": 1, "h": 3600, "d": 86400, "w": 604800}[unit[0]]


def _from_seconds(seconds: int, phrase: str) -> _Parts:
    if seconds < MIN_INTERVAL_SECONDS:
        raise ScheduleError(f"'{phrase}' is too frequent: the shortest schedule is every minute")
    # Whole hours, days and weeks read better (and align to the clock) as cron.
    return {3600: _Parts(hourly=True), 86400: _Parts(), 604800: _Parts(cron_days="1")}.get(
        seconds, _Parts(interval=seconds)
    )


def _frequency(match: re.Match[str]) -> _Parts | None:
    """What a frequency phrase means, or ``None`` when it is not recurring ("on Monday")."""
    g = {k: (v.lower() if v else v) for k, v in match.groupdict().items()}
    if g["interval"]:
        count = _number(g["n"])
        if count <= 0:
            raise ScheduleError(f"'{match.group(0)}' is not a schedule")
        return _from_seconds(count * _unit_seconds(g["unit"]), match.group(0))
    if g["times"]:
        count = 2 if g["times"] == "twice" else _number(g["times"].split()[0])
        if count <= 0:
            raise ScheduleError(f"'{match.group(0)}' is not a schedule")
        return _from_seconds(_unit_seconds(g["tunit"]) // count, match.group(0))
    word = g["ly"] or g["per"] or g["pname"] or ""
    if word.startswith("hour"):
        return _Parts(hourly=True)
    if word.startswith("week"):
        return _Parts(cron_days="1")
    if word.startswith("month"):
        return _Parts(day_of_month="1")
    if g["weekday"]:
        return _Parts(cron_days="1-5")
    if g["weekend"]:
        return _Parts(cron_days="0,6")
    if g["days"] or g["plural"]:
        names = re.findall(rf"{_DAY_RE}s?", g["daylist"] or g["plural"], re.IGNORECASE)
        if g["days"] and g["days"].startswith("on") and not any(n.endswith("s") for n in names):
            return None  # "on Monday" is one day, not every Monday
        days = sorted({_day_index(n) for n in names})
        return _Parts(cron_days=",".join(str(d) for d in days), part=g["daypart"] or "")
    part = g["pname"] or g["pplural"] or ("night" if word == "nightly" else "")
    return _Parts(part="" if part in ("day", "everyday") else part)


def _adjacent(end: int, start: int, text: str) -> bool:
    gap = text[end:start]
    return 0 <= len(gap) <= _MAX_GAP and _GAP.fullmatch(gap) is not None


def find_schedule(text: str, timezone: str = "UTC") -> Schedule | None:
    """The first schedule phrase in ``text``, or ``None`` when it names no recurring time.

    ``timezone`` (IANA name, the user's) is used unless the phrase names one ("at 8 UTC").
    Raises ``ScheduleError`` when the phrase cannot be a schedule.
    """
    for frequency in _FREQUENCY.finditer(text):
        parts = _frequency(frequency)
        if parts is not None:
            break
    else:
        return None
    start, end = frequency.span()
    # A time may come before ("at 9am every Monday") or after ("every Monday morning at 9").
    hour = minute = None
    explicit_ampm = False
    for time in _TIME.finditer(text):
        if time.end() <= start:
            if not _adjacent(time.end(), start, text):
                continue
        elif time.start() >= end:
            if not _adjacent(end, time.start(), text):
                break
        else:
            continue  # overlaps the frequency ("every morning" holds no clock time)
        g = time.groupdict()
        if g["part2"] and time.end() <= start and not g["pre"]:
            continue  # "Good morning, every day at 7": a greeting, not a time of day
        if g["part2"]:
            parts.part = parts.part or g["part2"].lower()
        else:
            hour, minute, explicit_ampm = _clock(
                g["h"] or g["h2"] or g["h3"],
                g["m"] or g["m2"] or g["m3"],
                g["ampm"] or g["ampm2"],
                g["noon"],
            )
        start, end = min(start, time.start()), max(end, time.end())
    zone = timezone
    zone_match = _ZONE.match(text, end)
    if zone_match:
        zone = {"Z": "UTC", "GMT": "UTC"}.get(zone_match.group("zone"), zone_match.group("zone"))
        end = zone_match.end()
    zone = _checked_zone(zone)
    phrase_span = (start, end)
    phrase = text[start:end]
    if parts.interval is not None:
        return Schedule(phrase, phrase_span, zone, interval_seconds=parts.interval)
    if parts.hourly:
        return Schedule(phrase, phrase_span, zone, cron=f"{minute or 0} * * * *")
    if hour is None:
        hour, minute = _PART_HOURS[parts.part], 0
    elif parts.part in ("afternoon", "evening", "night") and not explicit_ampm and hour < 12:
        hour += 12  # "every evening at 7" is 19:00
    cron = f"{minute or 0} {hour} {parts.day_of_month} * {parts.cron_days}"
    return Schedule(phrase, phrase_span, zone, cron=cron)


def _checked_zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a name too long for a path
        raise ScheduleError(
            f"Unknown time zone {name[:64]!r}; use an IANA name like Europe/Berlin"
        ) from None
    return name


def parse_schedule(text: str, timezone: str = "UTC") -> Schedule:
    """Like ``find_schedule`` but a text with no schedule is an error (for forms and tools)."""
    found = find_schedule(text, timezone)
    if found is None:
        raise ScheduleError(
            f"No schedule found in {text!r}; say e.g. 'every weekday at 8:00' or 'every 2 hours'"
        )
    return found
