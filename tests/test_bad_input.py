"""Input that used to crash the service (issue 16) now gets a 4xx in the JSON error shape."""

import base64
import json
import uuid

import pytest

from tests.test_foundation_api import assert_error_shape


def _cursor(*values: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(values)).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/api/chat", {"message": "hello\u0000world"}),
        ("POST", "/api/auth/local", {"email": "alice\u0000@example.com"}),
        ("POST", "/api/agents", {"servers": ["git\u0000hub"], "name": "a", "instruction": "i"}),
        ("DELETE", "/api/credentials/git%00hub/GITHUB_TOKEN", None),
        ("DELETE", "/api/credentials/github/GITHUB%00TOKEN", None),
        ("GET", "/api/chat/history?cursor=%00", None),
    ],
    ids=["chat", "sign-in", "server-list", "delete-server", "delete-name", "query"],
)
async def test_nul_bytes_are_refused(client, make_user, method, path, body) -> None:
    user = await make_user()
    response = await client.request(method, path, json=body, headers=user.headers)
    error = assert_error_shape(response, 400)
    assert error["code"] == "invalid_text"


async def test_an_escaped_backslash_before_u0000_is_not_a_nul(client, make_user) -> None:
    user = await make_user()
    content = json.dumps({"message": "a literal \\u0000 in prose"}).encode()
    response = await client.post(
        "/api/chat",
        content=content,
        headers={**user.headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    "cursor",
    [_cursor(2**63), _cursor(-1), _cursor(10**40), _cursor(True), _cursor(1.5)],
    ids=["2^63", "negative", "10^40", "bool", "float"],
)
async def test_message_cursor_out_of_range(client, make_user, cursor) -> None:
    user = await make_user()
    chat = await client.post("/api/chat", json={"message": "hello"}, headers=user.headers)
    session_id = chat.json()["session_id"]
    response = await client.get(
        f"/api/sessions/{session_id}/messages?cursor={cursor}", headers=user.headers
    )
    assert assert_error_shape(response, 400)["code"] == "invalid_cursor"


@pytest.mark.parametrize(
    "cursor",
    [_cursor("99999-01-01T00:00:00", str(uuid.uuid4())), _cursor(2**63, 2**63), _cursor([], {})],
    ids=["year-99999", "integers", "containers"],
)
async def test_history_cursor_out_of_range(client, make_user, cursor) -> None:
    user = await make_user()
    response = await client.get(f"/api/chat/history?cursor={cursor}", headers=user.headers)
    assert assert_error_shape(response, 400)["code"] == "invalid_cursor"


async def test_agent_with_a_session_of_someone_else(client, make_user) -> None:
    alice, mallory = await make_user(), await make_user()
    chat = await client.post("/api/chat", json={"message": "hello"}, headers=alice.headers)
    alices_session = chat.json()["session_id"]
    for session_id in (alices_session, str(uuid.uuid4()), "not-a-session"):
        response = await client.post(
            "/api/agents",
            headers=mallory.headers,
            json={
                "servers": ["fetch"],
                "name": "linked",
                "instruction": "Fetch pages.",
                "session_id": session_id,
            },
        )
        error = assert_error_shape(response, 404)
        assert error["message"] == "Session not found."


@pytest.mark.parametrize(
    "message",
    [
        " and ".join(f"post update number {n} to slack channel {n}" for n in range(700))[:20_000],
        ("summarise my github issues every morning " * 500)[:20_000],
        "x" * 20_000,
        ("ghp_" + "A1b2C3d4E5" * 4 + " ") * 400,
    ],
    ids=["many-needs", "one-long-need", "one-word", "many-secrets"],
)
async def test_offline_planner_on_a_20_kb_message(client, make_user, message) -> None:
    user = await make_user()
    response = await client.post("/api/chat", json={"message": message}, headers=user.headers)
    assert response.status_code == 200, response.text
    assert response.json()["reply"]


async def test_rls_refuses_linking_an_agent_to_another_users_session(
    client, database, make_user
) -> None:
    """Defence in depth under the service's check: the update policy (sql/090) refuses it too."""
    import asyncpg

    alice, mallory = await make_user(), await make_user()
    chat = await client.post("/api/chat", json={"message": "hello"}, headers=alice.headers)
    alices_session = uuid.UUID(chat.json()["session_id"])
    created = await client.post(
        "/api/agents",
        headers=mallory.headers,
        json={"servers": ["fetch"], "name": "mine", "instruction": "Fetch pages."},
    )
    assert created.status_code == 201, created.text
    agent_id = uuid.UUID(created.json()["agent"]["id"])
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        async with database.as_user(mallory.claims) as conn:
            await conn.execute(
                "update public.agents set session_id = $1 where id = $2", alices_session, agent_id
            )


@pytest.mark.parametrize("timezone", ["x" * 5_000, "🙂" * 300, "../../etc/passwd"])
async def test_schedule_with_an_impossible_time_zone(client, make_user, timezone) -> None:
    """A zone name too long to be a file name used to escape as OSError (found by the fuzz)."""
    user = await make_user()
    response = await client.put(
        f"/api/agents/{uuid.uuid4()}/schedule",
        headers=user.headers,
        json={"text": "every weekday at 8:00", "timezone": timezone},
    )
    assert response.status_code in (400, 404, 422), response.text
    assert_error_shape(response, response.status_code)


@pytest.mark.parametrize("target", ["/no/such/file.md", "no/such/file.md", "../../etc/passwd"])
async def test_instruction_with_a_file_placeholder_is_text(client, make_user, target) -> None:
    """Instructions are literal (agents/literal_text.py): no file is looked up, no 500."""
    user = await make_user()
    response = await client.post(
        "/api/agents",
        headers=user.headers,
        json={
            "servers": ["fetch"],
            "name": "placeholder",
            "instruction": f"Read {{{{file:{target}}}}} first.",
        },
    )
    assert response.status_code == 201, response.text
    card = response.json()["files"]["agent-cards/placeholder.md"]
    assert f"\\{{{{file:{target}\\}}}}" in card  # fast-agent's escape: rendered literally
