"""Two users signed in through the API: neither can see or touch the other's chats."""

import uuid

from tests.auth_helpers import assert_error, bearer
from tests.conftest import sign_in_local


async def _sign_in(client, database, settings, name):
    email = f"{name}-{uuid.uuid4().hex[:6]}@example.test"
    body = await sign_in_local(client, database, settings, email, name)
    return body["user"]["id"], bearer(body["access_token"])


async def _chat(client, headers, message):
    response = await client.post("/api/chat", json={"message": message}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["session_id"]


async def test_two_users_cannot_read_each_others_sessions(client, database, settings):
    alice_id, alice = await _sign_in(client, database, settings, "alice")
    bob_id, bob = await _sign_in(client, database, settings, "bob")
    alice_session = await _chat(client, alice, "I want an agent that reads my GitHub issues")
    bob_session = await _chat(client, bob, "Summarise my Notion pages every morning")

    alice_history = (await client.get("/api/chat/history", headers=alice)).json()["items"]
    bob_history = (await client.get("/api/chat/history", headers=bob)).json()["items"]
    assert [item["id"] for item in alice_history] == [alice_session]
    assert [item["id"] for item in bob_history] == [bob_session]

    own = await client.get(f"/api/sessions/{alice_session}/messages", headers=alice)
    assert own.status_code == 200 and own.json()["items"]
    assert_error(await client.get(f"/api/sessions/{alice_session}/messages", headers=bob), 404)
    assert_error(await client.delete(f"/api/sessions/{alice_session}", headers=bob), 404)
    foreign_post = await client.post(
        "/api/chat", json={"session_id": alice_session, "message": "hi"}, headers=bob
    )
    assert_error(foreign_post, 404)

    # The same holds in SQL under RLS with each user's verified claims.
    async with database.as_user({"sub": bob_id, "role": "authenticated"}) as conn:
        seen = await conn.fetchval(
            "select count(*) from sessions where id = $1", uuid.UUID(alice_session)
        )
        messages = await conn.fetchval(
            "select count(*) from chat_messages where session_id = $1", uuid.UUID(alice_session)
        )
    assert (seen, messages) == (0, 0)
    still_there = await client.get(f"/api/sessions/{alice_session}/messages", headers=alice)
    assert still_there.status_code == 200 and still_there.json()["items"]
    assert alice_id != bob_id
