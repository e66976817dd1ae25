"""Schedule phrases found in plain text: many phrasings, their spans, and refusals."""

from __future__ import annotations

import pytest

from workflows.schedule import ScheduleError, describe, find_schedule, parse_schedule

BERLIN = "Europe/Berlin"

CRON_CASES = [
    ("Every morning at 8, tell me the current time in Tokyo", "Every morning at 8", "0 8 * * *"),
    ("every morning", "every morning", "0 8 * * *"),
    ("each morning at 7:15 summarise my inbox", "each morning at 7:15", "15 7 * * *"),
    ("mornings at 6", "mornings at 6", "0 6 * * *"),
    ("every evening", "every evening", "0 18 * * *"),
    ("every evening at 7", "every evening at 7", "0 19 * * *"),
    ("every night post a summary", "every night", "0 21 * * *"),
    ("nightly backup report", "nightly", "0 21 * * *"),
    ("every afternoon", "every afternoon", "0 15 * * *"),
    ("every day in the evening", "every day in the evening", "0 18 * * *"),
    ("in the morning every day fetch news", "in the morning every day", "0 8 * * *"),
    ("daily at 18:00", "daily at 18:00", "0 18 * * *"),
    ("daily", "daily", "0 9 * * *"),
    ("every day at noon", "every day at noon", "0 12 * * *"),
    ("every day at midnight", "every day at midnight", "0 0 * * *"),
    ("everyday at 8am", "everyday at 8am", "0 8 * * *"),
    ("once a day", "once a day", "0 9 * * *"),
    ("At 9:30 every Monday post the standup", "At 9:30 every Monday", "30 9 * * 1"),
    ("every Monday", "every Monday", "0 9 * * 1"),
    ("on Mondays and Thursdays at 10", "on Mondays and Thursdays at 10", "0 10 * * 1,4"),
    ("every Tuesday, at 14:00", "every Tuesday, at 14:00", "0 14 * * 2"),
    ("every Friday afternoon summarise", "every Friday afternoon", "0 15 * * 5"),
    ("Fridays at 4pm", "Fridays at 4pm", "0 16 * * 5"),
    ("every mon, wed and fri at 8", "every mon, wed and fri at 8", "0 8 * * 1,3,5"),
    ("every weekday at 8am", "every weekday at 8am", "0 8 * * 1-5"),
    ("on weekdays at 08:30", "on weekdays at 08:30", "30 8 * * 1-5"),
    ("every weekday morning at 7:30", "every weekday morning at 7:30", "30 7 * * 1-5"),
    ("Monday to Friday at 9", "Monday to Friday at 9", "0 9 * * 1-5"),
    ("mon-fri at 7:45", "mon-fri at 7:45", "45 7 * * 1-5"),
    ("every working day", "every working day", "0 9 * * 1-5"),
    ("on weekends at noon", "on weekends at noon", "0 12 * * 0,6"),
    ("hourly", "hourly", "0 * * * *"),
    ("every hour check the build", "every hour", "0 * * * *"),
    ("once an hour", "once an hour", "0 * * * *"),
    ("weekly report", "weekly", "0 9 * * 1"),
    ("every week", "every week", "0 9 * * 1"),
    ("once a week", "once a week", "0 9 * * 1"),
    ("each month", "each month", "0 9 1 * *"),
    ("monthly", "monthly", "0 9 1 * *"),
    ("at 8 pm every day", "at 8 pm every day", "0 20 * * *"),
    ("every day at 8.30 a.m.", "every day at 8.30 a.m.", "30 8 * * *"),
    ("every day at 12am", "every day at 12am", "0 0 * * *"),
]


@pytest.mark.parametrize(("text", "phrase", "cron"), CRON_CASES)
def test_cron_phrasings(text: str, phrase: str, cron: str) -> None:
    found = find_schedule(text, BERLIN)
    assert found is not None
    assert (found.phrase, found.cron, found.interval_seconds) == (phrase, cron, None)
    assert text[found.span[0] : found.span[1]] == phrase
    assert found.timezone == BERLIN and found.kind == "cron"


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("every 15 minutes check the queue", 900),
        ("every 5 mins", 300),
        ("every minute", 60),
        ("every 2 hours", 7200),
        ("every 90 minutes", 5400),
        ("every other day", 172800),
        ("every 3 days", 259200),
        ("twice a day", 43200),
        ("every two weeks", 1209600),
    ],
)
def test_interval_phrasings(text: str, seconds: int) -> None:
    found = find_schedule(text, BERLIN)
    assert found is not None and found.kind == "interval"
    assert (found.interval_seconds, found.cron) == (seconds, None)


def test_the_span_lets_a_caller_strip_the_phrase() -> None:
    text = "Send me a Slack message every Monday morning with the open PRs"
    found = find_schedule(text)
    assert found is not None and found.cron == "0 8 * * 1"
    assert (
        text[: found.span[0]] + text[found.span[1] :]
        == "Send me a Slack message  with the open PRs"
    )


@pytest.mark.parametrize(
    ("text", "zone"),
    [
        ("every day at 8 UTC", "UTC"),
        ("every day at 8 GMT", "UTC"),
        ("every weekday at 8am Europe/Berlin", "Europe/Berlin"),
        ("every day at 8 in America/New_York", "America/New_York"),
        ("every day at 9 (Asia/Tokyo)", "Asia/Tokyo"),
    ],
)
def test_a_time_zone_in_the_phrase_wins(text: str, zone: str) -> None:
    found = find_schedule(text, "Europe/Paris")
    assert found is not None and found.timezone == zone
    assert found.phrase == text


def test_the_users_zone_is_kept_and_the_task_place_is_not_a_zone() -> None:
    found = find_schedule("Every morning at 8, tell me the current time in Tokyo", "Asia/Kolkata")
    assert found is not None and found.timezone == "Asia/Kolkata"


@pytest.mark.parametrize(
    "text",
    [
        "summarise my GitHub issues",
        "remind me on Monday",
        "tell me in an hour",
        "the meeting is at 8",
        "Good morning!",
        "every blursday at 8",
        "put it on monday.com",
        "",
    ],
)
def test_text_without_a_recurring_time_has_no_schedule(text: str) -> None:
    assert find_schedule(text) is None
    with pytest.raises(ScheduleError, match="No schedule"):
        parse_schedule(text)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("every day at 25:00", "not a time of day"),
        ("every day at 13pm", "not a time of day"),
        ("every day at 8:75", "not a time of day"),
        ("every 0 minutes", "not a schedule"),
        ("every 30 seconds", "too frequent"),
        ("every day at 8 in Mars/Olympus", "Unknown time zone"),
    ],
)
def test_nonsense_is_refused_with_a_reason(text: str, reason: str) -> None:
    with pytest.raises(ScheduleError, match=reason):
        find_schedule(text)


def test_a_greeting_before_the_schedule_is_not_part_of_it() -> None:
    found = find_schedule("Good morning, every day at 7 send the news")
    assert found is not None and (found.phrase, found.cron) == ("every day at 7", "0 7 * * *")


@pytest.mark.parametrize(
    ("cron", "interval", "words"),
    [
        ("0 8 * * 1-5", None, "every weekday at 08:00 Europe/Berlin"),
        ("0 8 * * *", None, "every day at 08:00 Europe/Berlin"),
        ("30 9 * * 1,4", None, "every Monday and Thursday at 09:30 Europe/Berlin"),
        ("0 9 1 * *", None, "on day 1 of every month at 09:00 Europe/Berlin"),
        ("15 * * * *", None, "every hour at :15"),
        ("*/5 1 * * *", None, "cron '*/5 1 * * *' (Europe/Berlin)"),
        (None, 900, "every 15 minutes"),
        (None, 7200, "every 2 hours"),
        (None, 86400 * 3, "every 3 days"),
    ],
)
def test_described_in_words(cron: str | None, interval: int | None, words: str) -> None:
    assert describe(cron, interval, BERLIN) == words
