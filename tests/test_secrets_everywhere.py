"""Every secret format, pasted into the chat, reaches only the vault (issue 16).

Real anthropic SDK against the scripted fake Messages API, JSON and SSE turns: each sample opens
its own session, so the title is checked too. Afterwards the value is looked for in every
response, every request the model received, every table and every log line; and it is still
there, encrypted, for the session that received it.
"""

import json
import logging
from collections.abc import AsyncIterator

import httpx
import pytest_asyncio

from credentials import repository, service
from credentials.vault import get_vault
from dynamic_mcp.app import create_app
from tests.conftest import make_settings
from tests.fakes.anthropic_server import FakeAnthropic, text_reply, tool_reply
from tests.secret_samples import ISSUE_16, OURS

SAMPLES = ISSUE_16 + OURS


@pytest_asyncio.fixture(loop_scope="session")
async def fake() -> AsyncIterator[FakeAnthropic]:
    async with FakeAnthropic(default=text_reply("Noted.")) as server:
        yield server


@pytest_asyncio.fixture(loop_scope="session")
async def model_client(fake, database, settings) -> AsyncIterator[httpx.AsyncClient]:
    model_settings = make_settings(
        settings.data_dir,
        anthropic_api_key="sk-ant-test-key",
        anthropic_base_url=fake.url,
        model_retry_base_seconds=0.001,
        model_retry_max_seconds=0.01,
        rate_limit_chat_per_minute=0,
    )
    app = create_app(model_settings, database=database)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http


async def _turn(http: httpx.AsyncClient, user, message: str, stream: bool) -> tuple[str, str]:
    """(session id, everything the API answered)."""
    body = {"message": message}
    if not stream:
        response = await http.post("/api/chat", json=body, headers=user.headers)
        assert response.status_code == 200, response.text
        return response.json()["session_id"], response.text
    headers = {**user.headers, "Accept": "text/event-stream"}
    async with http.stream("POST", "/api/chat", json=body, headers=headers) as response:
        text = (await response.aread()).decode()
    assert response.status_code == 200, text
    first = text.split("\n\n")[0]  # event: session
    return json.loads(first.split("data: ", 1)[1])["session_id"], text


async def _all_tables_text(database) -> str:
    async with database.service() as conn:
        tables = await conn.fetch(
            "select table_name from information_schema.tables"
            " where table_schema = 'public' and table_type = 'BASE TABLE'"
        )
        parts = [
            await conn.fetchval(
                f"select coalesce(string_agg(t::text, ' '), '') from public.{row['table_name']} t"  # noqa: S608
            )
            for row in tables
        ]
    return "\n".join(parts)


async def test_every_format_goes_only_to_the_vault(model_client, fake, database, make_user, caplog):
    caplog.set_level(logging.DEBUG)
    user = await make_user()
    seen: list[str] = []
    sessions: dict[str, str] = {}
    for n, sample in enumerate(SAMPLES):
        session_id, answered = await _turn(model_client, user, sample.text, stream=n % 2 == 1)
        sessions[sample.label] = session_id
        seen.append(answered)
    history = await model_client.get("/api/chat/history?limit=100", headers=user.headers)
    seen.append(history.text)
    titles = [item["title"] for item in history.json()["items"]]
    assert len(titles) == len(SAMPLES) and all("[redacted]" in t for t in titles), titles
    for session_id in sessions.values():
        page = await model_client.get(f"/api/sessions/{session_id}/messages", headers=user.headers)
        seen.append(page.text)
    sent = json.dumps([r["body"] for r in fake.requests])
    tables = await _all_tables_text(database)
    logged = caplog.text + "\n".join(str(r.__dict__) for r in caplog.records)
    answered = "\n".join(seen)
    vault = get_vault()
    for sample in SAMPLES:
        for where, text in (("API", answered), ("model", sent), ("DB", tables), ("logs", logged)):
            assert sample.secret not in text, (sample.label, where)
        session_id = sessions[sample.label]
        async with database.as_user(user.claims) as conn:
            pending = await repository.fetch_pending_secrets(conn, user.id, session_id)
        kept = [vault.decrypt((user.id, session_id, str(ref)), s) for ref, s in pending.items()]
        assert sample.secret in kept, sample.label  # redacted, and kept for the user


async def test_a_pasted_postgres_url_is_saved_for_the_waiting_server(
    model_client, fake, database, make_user
):
    """The template pattern ``^postgres(ql)?://`` only says how the URL starts; it used to match
    nothing, so a password-less URL leaked while the service waited for exactly that value."""
    user = await make_user()
    url = "postgresql://localhost:5432/analytics"  # no password: only the template marks it
    fake.add(
        tool_reply(("request_credentials", {"servers": ["postgres"]}), text="Checking."),
        text_reply("Paste the POSTGRES_URL in the form."),
        tool_reply(
            (
                "save_credential",
                {"server": "postgres", "name": "POSTGRES_URL", "secret_ref": "[secret:1]"},
            )
        ),
        text_reply("Saved."),
    )
    first = await model_client.post(
        "/api/chat", json={"message": "Query my Postgres database"}, headers=user.headers
    )
    session_id = first.json()["session_id"]
    second = await model_client.post(
        "/api/chat",
        json={"session_id": session_id, "message": f"it is {url}"},
        headers=user.headers,
    )
    assert second.status_code == 200, second.text
    assert [c["is_error"] for c in second.json()["tool_calls"]] == [False]
    assert url not in json.dumps([r["body"] for r in fake.requests]) + second.text
    async with database.as_user(user.claims) as conn:
        stored = await service.load_user_secrets(conn, user.id, ["postgres"])
    assert stored == {"postgres": {"POSTGRES_URL": url}}
