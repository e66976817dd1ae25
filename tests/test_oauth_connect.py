"""OAuth connect through the API against a loopback authorization server and MCP server.

The provider (tests/fakes/oauth_provider.py) speaks the real protocol; the catalog entry for its
MCP server comes from an operator catalog folder (``CATALOG_DIRS``), as an operator's would.
"""

import asyncio
from urllib.parse import urlencode

import httpx
import pytest

from credentials.vault import get_vault
from tests.fakes.oauth_provider import FakeOAuthProvider
from tests.oauth_helpers import (
    SLUG,
    load_with,
    new_session,
    path_of,
    query,
    unload,
    walk_to_callback,
    write_catalog_dir,
)


@pytest.fixture(scope="module")
async def provider(app, database, settings, tmp_path_factory):
    transport = httpx.ASGITransport(app=app)

    async def fetch_document(url: str):  # the AS fetches our Client ID Metadata Document
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            response = await http.get(path_of(url))
            return response.json()

    loop = asyncio.get_running_loop()

    async def fetch_on_app_loop(url: str):  # the app's pool lives on the test loop
        return await asyncio.wrap_future(
            asyncio.run_coroutine_threadsafe(fetch_document(url), loop)
        )

    fake = FakeOAuthProvider(fetch_document=fetch_on_app_loop).start()
    await load_with(database, settings, write_catalog_dir(tmp_path_factory.mktemp("cat"), fake))
    yield fake
    fake.stop()
    await unload(database)


def browser_for(app) -> httpx.AsyncClient:
    """One user's browser: its own cookie jar."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")


async def connect_url(browser, user, session_id=None) -> str:
    response = await browser.post(
        "/api/oauth/connect", headers=user.headers, json={"server": SLUG, "session_id": session_id}
    )
    assert response.status_code == 200, response.text
    return response.json()["connect_url"]


async def connected(app, database, user, provider) -> None:
    async with browser_for(app) as browser:
        walk = await walk_to_callback(browser, await connect_url(browser, user))
        done = await browser.get(walk.callback)
        assert done.status_code == 200, done.text


async def test_connect_stores_encrypted_tokens_and_uses_cimd(app, database, make_user, provider):
    user = await make_user()
    session_id = await new_session(database, user)
    async with browser_for(app) as browser:
        link = await connect_url(browser, user, session_id)
        walk = await walk_to_callback(browser, link)
        sent = query(walk.authorize_url)
        assert sent["client_id"].endswith("/api/oauth/client-metadata.json")  # CIMD, no DCR
        assert sent["code_challenge_method"] == "S256" and len(sent["code_challenge"]) == 43
        assert sent["resource"] == provider.resource
        assert "issues:read" in sent["scope"]
        done = await browser.get(walk.callback)
    assert done.status_code == 200, done.text
    assert "Fake Issues is connected" in done.text
    assert f'data-session="{session_id}"' in done.text
    assert "cimd" in provider.events and "register" not in provider.events

    listed = await browser_for(app).get("/api/oauth/connections", headers=user.headers)
    assert listed.json()["items"][0]["server"] == SLUG
    assert listed.json()["items"][0]["status"] == "connected"
    async with database.service() as conn:
        rows = await conn.fetch(
            "select env_name, ciphertext from user_credentials where user_id = $1::uuid",
            user.id,
        )
    assert {r["env_name"] for r in rows} == {"OAUTH_ACCESS_TOKEN", "OAUTH_REFRESH_TOKEN"}
    live = provider.live_access_tokens()
    assert not any(token.encode() in bytes(r["ciphertext"]) for r in rows for token in live)
    assert get_vault() is not None


async def test_state_is_single_use_and_bound_to_the_browser(app, database, make_user, provider):
    alice, mallory = await make_user(), await make_user()
    async with browser_for(app) as alice_browser, browser_for(app) as mallory_browser:
        walk = await walk_to_callback(alice_browser, await connect_url(alice_browser, alice))
        # Alice's answer opened in another user's browser (no or another cookie): refused
        stolen = await mallory_browser.get(walk.callback)
        assert stolen.status_code == 400
        assert "another browser or by another account" in stolen.text
        # ... and the state is spent: Alice's own browser cannot use it afterwards either
        replay = await alice_browser.get(walk.callback)
        assert replay.status_code == 400 and "already used" in replay.text

        walk = await walk_to_callback(alice_browser, await connect_url(alice_browser, alice))
        assert (await alice_browser.get(walk.callback)).status_code == 200
        again = await alice_browser.get(walk.callback)  # replayed after success
        assert again.status_code == 400 and "already used" in again.text
    async with database.service() as conn:
        owners = await conn.fetch(
            "select user_id::text from oauth_connections where server_slug = $1", SLUG
        )
    assert mallory.id not in {r["user_id"] for r in owners}


async def test_forged_state_and_spent_ticket_are_refused(app, make_user, provider):
    user = await make_user()
    async with browser_for(app) as browser:
        link = await connect_url(browser, user)
        walk = await walk_to_callback(browser, link)
        forged = await browser.get(
            "/api/oauth/callback?" + urlencode({"code": "x", "state": "forged-state"})
        )
        assert forged.status_code == 400 and "unknown or was already used" in forged.text
        reused = await browser.get(path_of(link))  # the Connect link works once
        assert reused.status_code == 400 and "already used or has expired" in reused.text
        assert (await browser.get(walk.callback)).status_code == 200


async def test_wrong_iss_in_the_answer_is_refused(app, make_user, provider):
    user = await make_user()
    provider.response_iss = "https://evil.example/as"
    try:
        async with browser_for(app) as browser:
            walk = await walk_to_callback(browser, await connect_url(browser, user))
            answer = await browser.get(walk.callback)
    finally:
        provider.response_iss = None
    assert answer.status_code == 400
    assert "mix-up" in answer.text
    async with browser_for(app) as browser:  # without iss although the AS advertises it
        walk = await walk_to_callback(browser, await connect_url(browser, user))
        params = {k: v for k, v in query(walk.callback).items() if k != "iss"}
        answer = await browser.get("/api/oauth/callback?" + urlencode(params))
    assert answer.status_code == 400 and "mix-up" in answer.text


async def test_metadata_with_another_issuer_is_refused(app, make_user, provider):
    user = await make_user()
    provider.metadata_issuer = "https://evil.example/as"
    try:
        async with browser_for(app) as browser:
            started = await browser.get(path_of(await connect_url(browser, user)))
    finally:
        provider.metadata_issuer = None
    assert started.status_code == 502
    assert "names issuer" in started.text and "evil.example/as" in started.text


@pytest.mark.parametrize(
    ("knob", "value", "words"),
    [
        ("prm_resource", "https://other.example/mcp", "for another resource"),
        ("prm_authorization_server", "http://169.254.169.254/as", "non-https"),
    ],
)
async def test_lying_resource_metadata_is_refused(app, make_user, provider, knob, value, words):
    user = await make_user()
    setattr(provider, knob, value)
    try:
        async with browser_for(app) as browser:
            started = await browser.get(path_of(await connect_url(browser, user)))
    finally:
        setattr(provider, knob, None)
    assert started.status_code == 502 and words in started.text


async def test_pkce_mismatch_is_refused(app, database, make_user, provider):
    user = await make_user()
    async with browser_for(app) as browser:
        walk = await walk_to_callback(browser, await connect_url(browser, user))
        async with database.service() as conn:  # the verifier we hold no longer fits
            await conn.execute(
                "update oauth_requests set code_verifier = repeat('x', 64) where user_id = $1::uuid",
                user.id,
            )
        answer = await browser.get(walk.callback)
    assert answer.status_code == 502
    assert "PKCE verification failed" in answer.text
    assert "pkce_mismatch" in provider.events


async def test_declined_consent_is_explained(app, make_user, provider):
    user = await make_user()
    async with browser_for(app) as browser:
        started = await browser.get(path_of(await connect_url(browser, user)))
        async with httpx.AsyncClient() as outside:
            answer = await outside.get(started.headers["location"] + "&deny=1")
        result = await browser.get(path_of(answer.headers["location"]))
    assert result.status_code == 502 and "You declined access" in result.text


async def test_dynamic_registration_when_no_metadata_documents(app, make_user, provider):
    provider.cimd_supported = False
    try:
        for _ in range(2):  # registered once, then reused from the cache
            await connected(app, None, await make_user(), provider)
    finally:
        provider.cimd_supported = True
    assert provider.events.count("register") == 1


async def test_connect_refuses_servers_without_oauth_and_others_sessions(app, database, make_user):
    user, other = await make_user(), await make_user()
    async with browser_for(app) as browser:
        stdio = await browser.post(
            "/api/oauth/connect", headers=user.headers, json={"server": "github"}
        )
        assert stdio.status_code == 404 and stdio.json()["error"]["code"] == "not_an_oauth_server"
        foreign = await browser.post(
            "/api/oauth/connect",
            headers=user.headers,
            json={"server": "linear", "session_id": await new_session(database, other)},
        )
        assert foreign.status_code == 404


async def test_disconnect_revokes_at_the_provider(app, database, make_user, provider):
    user = await make_user()
    await connected(app, database, user, provider)
    before = len(provider.live_access_tokens())
    async with browser_for(app) as browser:
        gone = await browser.delete(f"/api/oauth/connections/{SLUG}", headers=user.headers)
        assert gone.status_code == 204
        assert (await browser.get("/api/oauth/connections", headers=user.headers)).json() == {
            "items": []
        }
    assert "revoke" in provider.events
    assert len(provider.live_access_tokens()) == before - 1


async def test_client_metadata_document(client):
    document = (await client.get("/api/oauth/client-metadata.json")).json()
    assert document["client_id"].endswith("/api/oauth/client-metadata.json")
    assert document["redirect_uris"][0].endswith("/api/oauth/callback")
    assert document["token_endpoint_auth_method"] == "none"


async def test_servers_taking_oauth_or_a_token_offer_both(app, database, make_user):
    from tools.credentials import request_credentials
    from tools.registry import ToolContext

    user = await make_user()
    session_id = await new_session(database, user)
    events: list[dict] = []
    ctx = ToolContext(
        user=user, session_id=session_id, db=database, settings=app.state.settings,
        emit=events.append,
    )  # fmt: skip
    result = await request_credentials(ctx, ["github-remote"])
    assert result["complete"] is False
    [ui] = events[0]["servers"]
    assert (
        ui["oauth"]["status"] == "not_connected"
        and "/api/oauth/start/" in ui["oauth"]["connect_url"]
    )
    assert [i["name"] for i in ui["items"]] == ["GITHUB_PERSONAL_ACCESS_TOKEN"]
    assert "/api/oauth/start/" not in str(result)  # the model never gets the link

    async with browser_for(app) as browser:
        pat = "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz0123456789ABCD"
        stored = await browser.post(
            f"/api/sessions/{session_id}/credentials",
            headers=user.headers,
            json={"server": "github-remote", "values": {"GITHUB_PERSONAL_ACCESS_TOKEN": pat}},
        )
        assert stored.status_code == 200, stored.text
        assert (await request_credentials(ctx, ["github-remote"]))["complete"] is True
        created = await browser.post(
            "/api/agents",
            headers=user.headers,
            json={"servers": ["github-remote"], "name": "PAT agent", "instruction": "Triage."},
        )
    assert created.status_code in (200, 201), created.text
    config = str(created.json()["files"]["fast-agent.yaml"])
    assert "Bearer ${GITHUB_REMOTE_GITHUB_PERSONAL_ACCESS_TOKEN}" in config
    assert "OAUTH_ACCESS_TOKEN" not in config and pat not in config
