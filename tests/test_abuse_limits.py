"""Rate limits an attacker meets: per account and per client address, on sign-in and refresh,
agent start/stop and config builds, counted in Postgres so that they hold across instances.

Each test speaks from its own documentation address (TEST-NET, RFC 5737) so that the counters
in the shared test database belong to it alone.
"""

import random
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from core.db.database import Database
from dynamic_mcp.app import create_app
from dynamic_mcp.middleware.ratelimit import client_key
from tests.conftest import create_user, make_settings


def some_address() -> tuple[str, int]:
    return (f"203.0.{random.randint(0, 255)}.{random.randint(1, 254)}", 40_000)


@asynccontextmanager
async def limited(
    database: Database, data_dir: Any, address: tuple[str, int], **limits: int
) -> AsyncIterator[httpx.AsyncClient]:
    """An app with the given limits, called from ``address``."""
    settings = make_settings(data_dir, local_sign_in_link_at_start=False, **limits)
    app = create_app(settings, database=database)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=address)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http


def assert_limited(response: httpx.Response, rule: str, scope: str) -> dict[str, Any]:
    assert response.status_code == 429, response.text
    error = response.json()["error"]
    assert error["code"] == "rate_limited" and "Try again" in error["message"]
    assert (error["details"]["rule"], error["details"]["scope"]) == (rule, scope)
    assert 1 <= int(response.headers["retry-after"]) <= 120
    return error


async def test_the_window_counts_only_what_it_lets_through(database: Database) -> None:
    key = f"test:{uuid.uuid4()}"
    async with database.service() as conn:
        hit = "select public.rate_limit_hit($1, $2, 60)"
        allowed = [await conn.fetchval(hit, [key], [3]) for _ in range(3)]
        refused = [await conn.fetchval(hit, [key], [3]) for _ in range(2)]
        # two keys: one full means the request counts for neither
        other = f"test:{uuid.uuid4()}"
        both = await conn.fetchval(hit, sorted([key, other]), [3, 3])
        stored = await conn.fetch(
            "select key, sum(hits) as hits from rate_limit_counters"
            " where key = any($1) group by key",
            [key, other],
        )
    assert allowed == [[0.0]] * 3
    assert all(0 < wait[0] <= 120 for wait in refused)
    assert max(both) > 0
    assert {r["key"]: r["hits"] for r in stored} == {key: 3, other: 0}


async def test_sign_in_and_refresh_are_limited_per_client_address(database, data_dir) -> None:
    address = some_address()
    async with limited(database, data_dir, address, rate_limit_auth_per_minute=3) as http:
        guesses = [
            await http.post("/api/auth/local", json={"token": "A" * 43}),
            await http.post("/api/auth/refresh", json={"refresh_token": "r" * 43}),
            await http.post("/api/auth/local", json={"token": "B" * 43}),
        ]
        assert [r.status_code for r in guesses] == [401, 401, 401]
        assert_limited(await http.post("/api/auth/local", json={"token": "C" * 43}), "auth", "ip")
        assert_limited(
            await http.post("/api/auth/refresh", json={"refresh_token": "x"}), "auth", "ip"
        )
    async with limited(database, data_dir, some_address(), rate_limit_auth_per_minute=3) as http:
        fresh = await http.post("/api/auth/local", json={"token": "D" * 43})
        assert fresh.status_code == 401  # another address has its own budget


async def test_many_free_accounts_share_one_address_budget(database, data_dir, settings) -> None:
    address = some_address()
    users = [await create_user(database, settings) for _ in range(3)]
    async with limited(
        database, data_dir, address, rate_limit_ip_per_minute=3, rate_limit_chat_per_minute=100
    ) as http:
        for user in users:
            response = await http.post("/api/chat", json={"message": "hi"}, headers=user.headers)
            assert response.status_code == 200, response.text
        fourth = await create_user(database, settings)  # yet another new account: same address
        response = await http.post("/api/chat", json={"message": "hi"}, headers=fourth.headers)
        assert_limited(response, "ip", "ip")
        # unsigned requests count against the address too (they cannot hide behind a 401)
        assert_limited(await http.post("/api/chat", json={"message": "hi"}), "ip", "ip")


async def test_agent_builds_starts_and_stops_are_limited_per_account(
    database, data_dir, settings
) -> None:
    user = await create_user(database, settings)
    other = await create_user(database, settings)
    agent = f"/api/agents/{uuid.uuid4()}"
    async with limited(database, data_dir, some_address(), rate_limit_agents_per_minute=3) as http:
        first = [
            await http.post(f"{agent}/start", headers=user.headers),
            await http.post(f"{agent}/stop", headers=user.headers),
            await http.post("/api/agents", json={}, headers=user.headers),
        ]
        assert [r.status_code for r in first] == [404, 404, 422]
        body = {"servers": ["time"], "name": "again", "instruction": "Tell the time."}
        assert_limited(
            await http.post("/api/agents", json=body, headers=user.headers), "agents", "user"
        )
        assert_limited(await http.post(f"{agent}/start", headers=user.headers), "agents", "user")
        # another account has its own budget
        assert (await http.post(f"{agent}/start", headers=other.headers)).status_code == 404


async def test_limits_hold_across_two_instances_on_one_database(database, data_dir) -> None:
    """Two service instances, each with its own pool, share the counters in their database."""
    address = some_address()
    second_db = await Database.open(make_settings(data_dir, database_url=database.dsn))
    try:
        async with (
            limited(database, data_dir, address, rate_limit_auth_per_minute=4) as one,
            limited(second_db, data_dir, address, rate_limit_auth_per_minute=4) as two,
        ):
            statuses = []
            for http in (one, two, one, two, one, two):
                response = await http.post("/api/auth/local", json={"token": "E" * 43})
                statuses.append(response.status_code)
    finally:
        await second_db.close()
    assert statuses == [401, 401, 401, 401, 429, 429]


@pytest.mark.parametrize(
    ("peer", "key"),
    [
        ("192.0.2.7", "192.0.2.7"),
        ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:bbbb::9", "2001:db8:1:2::/64"),  # same subscriber, same budget
        ("::ffff:192.0.2.7", "192.0.2.7"),
        ("testclient", "testclient"),
    ],
)
def test_client_keys(peer: str, key: str) -> None:
    assert client_key({"client": (peer, 1)}) == key
    assert client_key({"client": None}) is None
