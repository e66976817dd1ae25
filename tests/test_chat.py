"""Chat over HTTP on the embedded stack: offline planner end to end, history, pagination, RLS."""

from __future__ import annotations

import json
from typing import Any

import pytest_asyncio

from catalog.embedders import get_embedder
from catalog.loader import catalog_files, load_catalog
from chat import repository, service
from dynamic_mcp.eval_cli import Score, run_eval, selected_servers

GH_TOKEN = "ghp_" + "Qw7Er5Ty3Ui1" * 3


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def catalog(database: Any, settings: Any) -> None:
    """A few catalog servers (embedding all of them locally takes minutes on 2 cores)."""
    wanted = {
        "github",
        "github-official",
        "slack",
        "gmail-mcp",
        "notion",
        "linear",
        "stripe",
        "sentry",
        "gitlab",
        "time",
        "fetch",
        "airtable-mcp-server",
    }
    paths = [p for p in catalog_files() if p.stem in wanted]
    await load_catalog(database, get_embedder(settings), paths, retire_missing=False)


def parse_sse(text: str) -> list[tuple[str, Any]]:
    events = []
    for chunk in text.strip().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in chunk.splitlines())
        events.append((fields["event"], json.loads(fields["data"])))
    return events


async def test_offline_planner_end_to_end(client, make_user, catalog) -> None:
    user = await make_user()
    response = await client.post(
        "/api/chat",
        headers=user.headers,
        json={"message": "Summarise new GitHub issues and post the summary to Slack"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert [c["name"] for c in body["tool_calls"]] == ["search_mcp_servers", "request_credentials"]
    assert not any(c["is_error"] for c in body["tool_calls"])
    selected = body["tool_calls"][1]["input"]["servers"]
    assert any("github" in s for s in selected) and any("slack" in s for s in selected)
    kinds = [e["type"] for e in body["events"]]
    assert kinds == ["servers_found", "credentials_requested"]
    found = body["events"][0]["servers"][0]
    assert {"slug", "name", "description", "score", "why", "credentials"} <= set(found)
    assert "credentials" in body["reply"] and body["message"]["role"] == "assistant"

    history = (await client.get("/api/chat/history", headers=user.headers)).json()
    assert history["items"][0]["id"] == body["session_id"]
    assert history["items"][0]["title"].startswith("Summarise new GitHub issues")
    assert history["items"][0]["last_message"]["role"] == "assistant"

    # "done" with credentials still missing asks again, for the same servers
    again = (
        await client.post(
            "/api/chat",
            headers=user.headers,
            json={"session_id": body["session_id"], "message": "done"},
        )
    ).json()
    assert [c["name"] for c in again["tool_calls"]] == ["request_credentials"]
    assert again["tool_calls"][0]["input"]["servers"] == selected


async def test_offline_planner_builds_the_config_when_credentials_are_complete(
    client, make_user, catalog
) -> None:
    user = await make_user()
    response = await client.post(
        "/api/chat", headers=user.headers, json={"message": "Tell me the current time in Tokyo"}
    )
    body = response.json()
    assert [c["name"] for c in body["tool_calls"]] == [
        "search_mcp_servers",
        "request_credentials",
        "build_agent_config",
    ], body
    assert body["tool_calls"][1]["input"]["servers"] == ["time"]
    assert not any(c["is_error"] for c in body["tool_calls"])
    built = next(e for e in body["events"] if e["type"] == "config_built")
    assert built["agent_id"] and "configuration is ready" in body["reply"]


async def test_offline_planner_streams(client, make_user, catalog) -> None:
    user = await make_user()
    async with client.stream(
        "POST",
        "/api/chat",
        json={"message": "Read my Gmail inbox"},
        headers={**user.headers, "Accept": "text/event-stream"},
    ) as response:
        assert response.status_code == 200
        events = parse_sse((await response.aread()).decode())
    names = [name for name, _ in events]
    assert names[0] == "session" and names[-1] == "done"
    assert {"text_delta", "tool_start", "tool_end", "ui"} <= set(names)
    assert events[-1][1]["session_id"] == events[0][1]["session_id"]


async def test_pasted_secret_is_redacted_before_storage(client, make_user, catalog) -> None:
    user = await make_user()
    message = f"Use GitHub issues, my token is {GH_TOKEN}"
    body = (await client.post("/api/chat", headers=user.headers, json={"message": message})).json()
    messages = (
        await client.get(f"/api/sessions/{body['session_id']}/messages", headers=user.headers)
    ).json()["items"]
    dumped = json.dumps(messages)
    assert GH_TOKEN not in dumped and "[secret:1]" in dumped
    history = (await client.get("/api/chat/history", headers=user.headers)).json()
    assert GH_TOKEN not in json.dumps(history)


async def _session_with_messages(database: Any, user: Any, count: int) -> str:
    async with database.as_user(user.claims) as conn:
        session = await repository.create_session(conn, "paged")
        await repository.add_messages(
            conn,
            session["id"],
            [
                {"role": "user", "content": [{"type": "text", "text": f"m{i}"}]}
                for i in range(count)
            ],
        )
    return str(session["id"])


async def test_model_sees_a_window_that_opens_on_a_user_message(
    database, make_user, monkeypatch
) -> None:
    user = await make_user()
    session_id = await _session_with_messages(database, user, 1)
    use = {"type": "tool_use", "id": "t1", "name": "x", "input": {}}
    result = {"type": "tool_result", "tool_use_id": "t1", "content": "ok"}
    async with database.as_user(user.claims) as conn:
        await repository.add_messages(
            conn,
            session_id,
            [
                {"role": "assistant", "content": [use]},
                {"role": "user", "content": [result]},
                {"role": "assistant", "content": [{"type": "text", "text": "done"}]},
                {"role": "user", "content": [{"type": "text", "text": "next"}]},
            ],
        )
    monkeypatch.setattr(service, "MAX_HISTORY_MESSAGES", 3)
    window = await service.SessionTranscript(database, user.claims, session_id).load()
    assert window == [{"role": "user", "content": [{"type": "text", "text": "next"}]}]
    monkeypatch.setattr(service, "MAX_HISTORY_MESSAGES", 100)
    window = await service.SessionTranscript(database, user.claims, session_id).load()
    assert [m["role"] for m in window] == ["user", "assistant", "user", "assistant", "user"]


async def test_message_pages_have_no_gaps_or_duplicates_under_inserts(
    client, database, make_user
) -> None:
    user = await make_user()
    session_id = await _session_with_messages(database, user, 7)
    seen: list[str] = []
    cursor, added = None, 0
    while True:
        url = f"/api/sessions/{session_id}/messages?limit=3"
        url += f"&cursor={cursor}" if cursor else ""
        page = (await client.get(url, headers=user.headers)).json()
        seen += [m["content"][0]["text"] for m in page["items"]]
        if added < 2:  # messages arrive while the client pages
            async with database.as_user(user.claims) as conn:
                await repository.add_messages(
                    conn,
                    session_id,
                    [{"role": "assistant", "content": [{"type": "text", "text": f"new{added}"}]}],
                )
            added += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"m{i}" for i in range(7)] + ["new0", "new1"]


async def test_history_pages_have_no_gaps_or_duplicates_under_inserts(
    client, database, make_user
) -> None:
    user = await make_user()
    ids = [await _session_with_messages(database, user, 1) for _ in range(5)]
    first = (await client.get("/api/chat/history?limit=2", headers=user.headers)).json()
    # activity in an old session and a brand-new session while the client pages
    async with database.as_user(user.claims) as conn:
        await repository.add_messages(
            conn, ids[0], [{"role": "assistant", "content": [{"type": "text", "text": "bump"}]}]
        )
    await _session_with_messages(database, user, 1)
    seen = [item["id"] for item in first["items"]]
    cursor = first["next_cursor"]
    while cursor:
        page = (
            await client.get(f"/api/chat/history?limit=2&cursor={cursor}", headers=user.headers)
        ).json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
    assert seen == list(reversed(ids))
    last = next(
        i
        for i in (await client.get("/api/chat/history?limit=100", headers=user.headers)).json()[
            "items"
        ]
        if i["id"] == ids[0]
    )
    assert last["last_message"]["text"] == "bump"


async def test_limits_cursors_and_ownership(client, database, make_user) -> None:
    owner, other = await make_user(), await make_user()
    session_id = await _session_with_messages(database, owner, 2)
    for limit in (0, 101):
        response = await client.get(f"/api/chat/history?limit={limit}", headers=owner.headers)
        assert response.status_code == 422
    response = await client.get("/api/chat/history?cursor=not-a-cursor", headers=owner.headers)
    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_cursor"
    response = await client.get(
        f"/api/sessions/{session_id}/messages?cursor=e30", headers=owner.headers
    )
    assert response.status_code == 400
    # another user's session looks exactly like one that does not exist
    for path in (f"/api/sessions/{session_id}/messages",):
        assert (await client.get(path, headers=other.headers)).status_code == 404
    assert (
        await client.delete(f"/api/sessions/{session_id}", headers=other.headers)
    ).status_code == 404
    assert (await client.get("/api/chat/history", headers=other.headers)).json()["items"] == []
    assert (await client.get(f"/api/sessions/{session_id}/messages")).status_code == 401


async def test_delete_session_removes_messages_keeps_credentials(
    client, database, catalog, make_user
) -> None:
    user = await make_user()
    session_id = await _session_with_messages(database, user, 3)
    async with database.service() as conn:
        slug, credential, example = await conn.fetchrow(
            "select slug, credentials->0->>'name', credentials->0->>'example' from mcp_servers"
            " where jsonb_array_length(credentials) = 1"
            " and credentials->0->>'example' is not null order by slug limit 1"
        )
    stored = await client.post(
        f"/api/sessions/{session_id}/credentials",
        headers=user.headers,
        json={"server": slug, "values": {credential: example}},
    )
    assert stored.status_code == 200, stored.text
    response = await client.delete(f"/api/sessions/{session_id}", headers=user.headers)
    assert response.status_code == 204
    assert (
        await client.get(f"/api/sessions/{session_id}/messages", headers=user.headers)
    ).status_code == 404
    async with database.service() as conn:
        left = await conn.fetchval(
            "select count(*) from chat_messages where session_id = $1::uuid", session_id
        )
    assert left == 0
    items = (await client.get("/api/credentials", headers=user.headers)).json()["items"]
    assert any(i["server"] == slug for i in items)  # credentials are per user, not per session


def test_eval_scoring() -> None:
    score = Score()
    score.add("a", [["github", "github-official"], ["slack"]], ["github-official", "slack"])
    score.add("b", [["notion"], ["gmail-mcp"]], ["notion", "todoist"])
    score.add("c", [["linear"]], [], error="model_unavailable: busy")
    assert score.summary() == {
        "tasks": 3,
        "precision": 0.75,
        "recall": 0.6,
        "task_success": 0.3333,
        "errors": 1,
        "by_style": {"-": 0.3333},
    }
    assert score.rows[1]["wrong"] == ["todoist"] and score.rows[1]["missed"] == [["gmail-mcp"]]
    assert selected_servers(
        [
            {"name": "search_mcp_servers", "input": {"queries": ["x"]}},
            {"name": "request_credentials", "input": {"servers": ["a", "a"]}},
        ]
    ) == ["a"]


async def test_eval_runs_full_chat_turns(database, settings, catalog) -> None:
    score = await run_eval(
        database,
        settings,
        [
            {"query": "Tell me the current time in Tokyo", "gold_groups": [["time"]]},
            {
                "query": "Watch Sentry for new production errors and create a GitLab issue for each one",
                "gold_groups": [["sentry", "sentry-remote"], ["gitlab"]],
            },
        ],
    )
    assert [row["success"] for row in score.rows] == [True, True]
    assert score.summary()["recall"] == 1.0
    async with database.service() as conn:  # the throwaway user and its sessions are gone
        assert (
            await conn.fetchval(
                "select count(*) from auth.users where email like 'eval-%@eval.invalid'"
            )
            == 0
        )
