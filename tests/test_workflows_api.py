"""The schedule and runs API without running agents: validation, words, paging, errors."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from workflows import repository


@pytest.fixture
async def agent(client, make_user):
    user = await make_user()
    created = await client.post(
        "/api/agents",
        headers=user.headers,
        json={"servers": ["time"], "name": "clock", "instruction": "Say the time."},
    )
    assert created.status_code == 201, created.text
    return user, created.json()["agent"]["id"]


async def test_no_schedule_until_one_is_set(client, agent) -> None:
    user, agent_id = agent
    got = await client.get(f"/api/agents/{agent_id}/schedule", headers=user.headers)
    assert got.status_code == 404 and got.json()["error"]["code"] == "no_schedule"
    paused = await client.put(
        f"/api/agents/{agent_id}/schedule", headers=user.headers, json={"paused": True}
    )
    assert paused.status_code == 400 and paused.json()["error"]["code"] == "no_schedule"


@pytest.mark.parametrize(
    ("body", "cron", "interval", "words"),
    [
        (
            {"text": "every weekday at 8"},
            "0 8 * * 1-5",
            None,
            "every weekday at 08:00 Europe/Berlin",
        ),
        ({"cron": "30 17 * * 5"}, "30 17 * * 5", None, "every Friday at 17:30 Europe/Berlin"),
        ({"interval_seconds": 900}, None, 900, "every 15 minutes"),
        ({"text": "hourly"}, "0 * * * *", None, "every hour at :00"),
    ],
)
async def test_schedule_forms(client, agent, body, cron, interval, words) -> None:
    user, agent_id = agent
    put = await client.put(
        f"/api/agents/{agent_id}/schedule",
        headers=user.headers,
        json={**body, "timezone": "Europe/Berlin"},
    )
    assert put.status_code == 200, put.text
    view = put.json()
    assert (view["cron"], view["interval_seconds"], view["description"]) == (cron, interval, words)
    assert view["task"] == "Say the time." and view["steps"] == []
    assert datetime.fromisoformat(view["next_run_at"]) > datetime.now(UTC)
    assert view["next_run"].split()[-1].count(":") == 1  # "... HH:MM" in the user's zone


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"text": "every blursday"}, 400, "invalid_schedule"),
        ({"text": "every day at 25:00"}, 400, "invalid_schedule"),
        ({"cron": "61 * * * *"}, 400, "invalid_schedule"),
        ({"cron": "0 8 * * * *"}, 400, "invalid_schedule"),
        ({"interval_seconds": 5}, 400, "invalid_schedule"),
        ({"text": "hourly", "cron": "0 * * * *"}, 400, "ambiguous_schedule"),
        ({"text": "hourly", "timezone": "Mars/Olympus"}, 422, "validation_error"),
        ({"text": "hourly", "surprise": 1}, 422, "validation_error"),
        (
            {"event": {"description": "x", "check": "y", "every_minutes": 0}},
            422,
            "validation_error",
        ),
    ],
)
async def test_bad_schedules_are_refused_with_a_reason(client, agent, body, status, code) -> None:
    user, agent_id = agent
    put = await client.put(f"/api/agents/{agent_id}/schedule", headers=user.headers, json=body)
    assert put.status_code == status, put.text
    assert put.json()["error"]["code"] == code and put.json()["error"]["message"]


async def test_a_new_time_zone_moves_the_same_schedule(client, agent) -> None:
    user, agent_id = agent
    url = f"/api/agents/{agent_id}/schedule"
    await client.put(url, headers=user.headers, json={"cron": "0 8 * * *", "timezone": "UTC"})
    moved = await client.put(url, headers=user.headers, json={"timezone": "Asia/Tokyo"})
    view = moved.json()
    assert (view["cron"], view["timezone"]) == ("0 8 * * *", "Asia/Tokyo")
    assert datetime.fromisoformat(view["next_run_at"]).astimezone(UTC).hour == 23


async def test_runs_are_paged_newest_first(client, database, agent) -> None:
    user, agent_id = agent
    base = datetime(2026, 1, 1, 8, tzinfo=UTC)
    async with database.service() as conn:
        for day in range(5):
            await repository.insert_run(
                conn, agent_id, user.id, "schedule", base + timedelta(days=day)
            )
    first = await client.get(f"/api/agents/{agent_id}/runs?limit=2", headers=user.headers)
    page = first.json()
    assert [r["scheduled_for"][:10] for r in page["runs"]] == ["2026-01-05", "2026-01-04"]
    assert all(r["status"] == "queued" and r["output"] is None for r in page["runs"])
    rest = await client.get(
        f"/api/agents/{agent_id}/runs",
        headers=user.headers,
        params={"limit": 10, "cursor": page["next_cursor"]},
    )
    assert [r["scheduled_for"][:10] for r in rest.json()["runs"]] == [
        "2026-01-03",
        "2026-01-02",
        "2026-01-01",
    ]
    assert rest.json()["next_cursor"] is None
    bad = await client.get(f"/api/agents/{agent_id}/runs?cursor=yesterday", headers=user.headers)
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_cursor"
    missing = await client.get(f"/api/agents/{agent_id}/runs/{uuid.uuid4()}", headers=user.headers)
    assert missing.status_code == 404
    nonsense = await client.get(f"/api/agents/{agent_id}/runs/not-a-uuid", headers=user.headers)
    assert nonsense.status_code == 404
    async with database.service() as conn:
        await conn.execute("delete from agent_runs where agent_id = $1", uuid.UUID(agent_id))


async def test_a_run_abandoned_by_a_stopped_instance_ends_failed_with_the_reason(
    client, database, agent
) -> None:
    user, agent_id = agent
    async with database.service() as conn:
        run = await repository.insert_run(conn, agent_id, user.id, "manual", datetime.now(UTC))
        await conn.execute(
            "update agent_runs set status = 'running', started_at = now() - interval '1 hour'"
            " where id = $1",
            run["id"],
        )
        assert (
            await repository.fail_abandoned_runs(conn, datetime.now(UTC) - timedelta(minutes=10))
            == 1
        )
    got = await client.get(f"/api/agents/{agent_id}/runs/{run['id']}", headers=user.headers)
    assert got.json()["status"] == "failed"
    assert got.json()["error"] == "The service stopped during this run; it was not finished."
