"""The database restarts under load: requests fail cleanly with 503, the pool recovers, and
nothing is half-written.

The test runs on its own embedded Postgres (in a tmp dir) so stopping it cannot disturb the
session-wide database the other tests share. Chat turns use the offline planner, which calls
the same tools (catalog search, credential check) and stores the same transcripts as Claude.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from typing import Any

import httpx
import pytest

from core.db.database import Database
from dynamic_mcp.app import create_app
from tests.conftest import create_user, make_settings

WORKERS = 6
ALLOWED = {200, 204, 503}


def assert_consistent_transcript(messages: list[dict[str, Any]]) -> None:
    """A stored conversation the Messages API would accept back: every tool_use has its result."""
    assert messages, "a session without messages is a half-written turn"
    assert messages[0]["role"] == "user"
    for index, message in enumerate(messages):
        uses = [b["id"] for b in message["content"] if b.get("type") == "tool_use"]
        if not uses:
            continue
        assert message["role"] == "assistant"
        assert index + 1 < len(messages), f"tool_use {uses} stored without its tool_result"
        following = messages[index + 1]
        results = [b["tool_use_id"] for b in following["content"] if b.get("type") == "tool_result"]
        assert following["role"] == "user" and sorted(results) == sorted(uses), (message, following)


async def stored_transcripts(database: Database, user_id: str) -> dict[str, list[dict[str, Any]]]:
    """Every session of a user with its messages in storage order (read as the service)."""
    async with database.service() as conn:
        sessions = await conn.fetch(
            "select id from sessions where user_id = $1", uuid.UUID(user_id)
        )
        rows = await conn.fetch(
            "select session_id, role, content from chat_messages where user_id = $1 order by id",
            uuid.UUID(user_id),
        )
    transcripts: dict[str, list[dict[str, Any]]] = {str(s["id"]): [] for s in sessions}
    for row in rows:
        transcripts[str(row["session_id"])].append({"role": row["role"], "content": row["content"]})
    return transcripts


def assert_clean_error(response: httpx.Response) -> None:
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}, body
    assert "Traceback" not in response.text


@pytest.fixture(scope="module")
async def fault_stack(tmp_path_factory):
    settings = make_settings(
        tmp_path_factory.mktemp("fault") / "data",
        rate_limit_chat_per_minute=0,
        rate_limit_credentials_per_minute=0,
    )
    database = await Database.open(settings)
    app = create_app(settings, database=database)
    try:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
            async with httpx.AsyncClient(
                transport=transport, base_url="http://t", timeout=60
            ) as http:
                yield settings, database, http
    finally:
        await database.close()


async def test_database_restart_during_load(fault_stack):
    settings, database, http = fault_stack
    user = await create_user(database, settings)
    statuses: Counter[int] = Counter()
    failures: list[str] = []
    successes_after_restart: set[int] = set()
    phase = {"name": "before"}
    stop = asyncio.Event()
    warmed: set[int] = set()

    async def record(response: httpx.Response, worker: int) -> None:
        statuses[response.status_code] += 1
        if response.status_code not in ALLOWED:
            failures.append(
                f"{response.request.method} {response.request.url.path} "
                f"-> {response.status_code}: {response.text[:300]}"
            )
        elif response.status_code == 503:
            assert_clean_error(response)
            assert response.json()["error"]["code"] == "database_unavailable", response.text
        elif phase["name"] == "before":
            warmed.add(worker)
        elif phase["name"] == "after":
            successes_after_restart.add(worker)

    async def worker(n: int) -> None:
        session_id: str | None = None
        while not stop.is_set():
            body: dict[str, Any] = {"message": f"worker {n}: I need github issues and slack"}
            if session_id:
                body["session_id"] = session_id
            chat = await http.post("/api/chat", json=body, headers=user.headers)
            await record(chat, n)
            if chat.status_code == 200:
                session_id = chat.json()["session_id"]
                await record(
                    await http.get(f"/api/sessions/{session_id}/messages", headers=user.headers), n
                )
            await record(await http.get("/api/chat/history", headers=user.headers), n)
            await record(await http.get("/api/credentials", headers=user.headers), n)
            await asyncio.sleep(0.01)

    async def wait_for(predicate: Any, what: str) -> None:
        for _ in range(3000):  # bounded: a hung recovery fails the test instead of hanging CI
            if predicate():
                return
            await asyncio.sleep(0.01)
        raise AssertionError(f"timed out waiting for {what}; statuses={dict(statuses)}")

    tasks = [asyncio.create_task(worker(n)) for n in range(WORKERS)]
    try:
        await wait_for(lambda: len(warmed) == WORKERS, "every worker to succeed once")
        phase["name"] = "down"
        await database.embedded.stop()
        seen = statuses[503]
        await wait_for(lambda: statuses[503] >= seen + 2 * WORKERS, "requests to fail with 503")
        assert (await http.get("/readyz")).status_code == 503
        await database.embedded.start()
        phase["name"] = "after"
        await wait_for(
            lambda: len(successes_after_restart) == WORKERS,
            "every worker to succeed after the restart",
        )
    finally:
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)

    assert not failures, "\n".join(failures[:10])
    assert statuses[503] > 0 and statuses[200] > 0, statuses
    assert (await http.get("/readyz")).status_code == 200

    # Nothing half-written: every session has its user message and complete tool exchanges,
    # and the API serves every stored transcript.
    transcripts = await stored_transcripts(database, user.id)
    assert transcripts
    for session_id, messages in transcripts.items():
        assert_consistent_transcript(messages)
        page = await http.get(
            f"/api/sessions/{session_id}/messages?limit=100", headers=user.headers
        )
        assert page.status_code == 200, page.text
        assert len(page.json()["items"]) == len(messages)

    # and a conversation cut by the outage continues normally
    session_id = next(iter(transcripts))
    follow_up = await http.post(
        "/api/chat", headers=user.headers, json={"session_id": session_id, "message": "continue"}
    )
    assert follow_up.status_code == 200, follow_up.text


async def test_requests_while_database_is_down_are_503_json(fault_stack):
    """Every user-facing route answers 503 in the error shape, never 500, while the DB is down."""
    settings, database, http = fault_stack
    user = await create_user(database, settings)
    created = await http.post("/api/chat", json={"message": "I need github"}, headers=user.headers)
    assert created.status_code == 200, created.text
    session_id = created.json()["session_id"]
    await database.embedded.stop()
    try:
        calls = [
            ("POST", "/api/chat", {"message": "hello again", "session_id": session_id}),
            ("GET", "/api/chat/history", None),
            ("GET", f"/api/sessions/{session_id}/messages", None),
            ("DELETE", f"/api/sessions/{session_id}", None),
            ("GET", "/api/credentials", None),
            (
                "POST",
                f"/api/sessions/{session_id}/credentials",
                {"server": "github", "values": {"GITHUB_PERSONAL_ACCESS_TOKEN": "ghp_x"}},
            ),
            ("POST", "/api/auth/local", {"token": "t" * 43}),
        ]
        for method, path, body in calls:
            response = await http.request(method, path, json=body, headers=user.headers)
            assert response.status_code == 503, (method, path, response.status_code, response.text)
            assert_clean_error(response)
        streamed = await http.post(
            "/api/chat",
            json={"message": "x", "session_id": session_id},
            headers={**user.headers, "Accept": "text/event-stream"},
        )
        assert streamed.status_code == 503, streamed.text
    finally:
        await database.embedded.start()
    again = await http.get(f"/api/sessions/{session_id}/messages", headers=user.headers)
    assert again.status_code == 200, again.text
    assert_consistent_transcript(
        [{"role": m["role"], "content": m["content"]} for m in again.json()["items"]]
    )
