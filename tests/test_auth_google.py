"""Google ID token → Supabase session through the real supabase-auth client and the fake."""

import json

import httpx
import pytest_asyncio

from tests.auth_helpers import (
    Clock,
    assert_error,
    bearer,
    build_app,
    fake_fixture,
    gotrue_server_fixture,
    supabase_settings,
)
from tests.conftest import make_settings
from tests.fakes.gotrue import ANON_KEY, nonce_hash

RAW_NONCE = "raw-nonce-5f0c"
__all__ = ["fake_fixture", "gotrue_server_fixture"]  # fixtures used by name


@pytest_asyncio.fixture(loop_scope="session")
async def api(fake, database, settings):
    # The shared data dir: it holds the credentials key the shared database was written with.
    supa_settings = supabase_settings(make_settings, settings.data_dir, fake)
    app, _ = build_app(supa_settings, database, Clock())
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http


async def google(api, **body):
    return await api.post("/api/auth/google", json=body)


async def test_config_reports_supabase_mode(api, fake):
    assert (await api.get("/api/auth/config")).json() == {
        "mode": "supabase",
        "supabase_url": fake.base_url,
        "supabase_anon_key": ANON_KEY,
    }


async def test_sign_in_with_google_and_nonce(api, fake):
    id_token = fake.google_id_token(nonce=nonce_hash(RAW_NONCE))
    response = await google(api, id_token=id_token, nonce=RAW_NONCE)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "bearer"  # noqa: S105
    assert body["refresh_token"] and body["expires_at"] > 0
    assert body["user"]["email"] == "alice@gmail.com"
    assert body["user"]["name"] == "Alice Example"
    assert body["user"]["avatar_url"] == "https://lh3.example/google-sub-1.png"
    me = await api.get("/api/me", headers=bearer(body["access_token"]))
    assert me.status_code == 200, me.text
    assert me.json() == body["user"]
    # What reached Supabase: the publishable key, the RAW nonce, no user Authorization.
    method, url, headers = fake.requests[-1]
    assert "grant_type=id_token" in url and headers["apikey"] == ANON_KEY
    assert "authorization" not in headers


async def test_sign_in_without_nonce(api, fake):
    response = await google(api, id_token=fake.google_id_token(sub="g-2", email="b@gmail.com"))
    assert response.status_code == 200, response.text


async def test_two_users_get_their_own_sessions(api, fake):
    """A fresh auth client per request: the second sign-in cannot leak into the first."""
    a = (await google(api, id_token=fake.google_id_token(sub="a", email="a@gmail.com"))).json()
    b = (await google(api, id_token=fake.google_id_token(sub="b", email="b@gmail.com"))).json()
    assert a["user"]["id"] != b["user"]["id"]
    me_a = await api.get("/api/me", headers=bearer(a["access_token"]))
    assert me_a.json()["email"] == "a@gmail.com"


async def test_nonce_mismatch(api, fake):
    id_token = fake.google_id_token(nonce=nonce_hash(RAW_NONCE))
    wrong = await google(api, id_token=id_token, nonce="another-nonce")
    assert "nonce" in assert_error(wrong, 401, "nonce_mismatch")["message"].lower()
    hashed = await google(api, id_token=id_token, nonce=nonce_hash(RAW_NONCE))
    assert_error(hashed, 401, "nonce_mismatch")  # the hash sent instead of the raw nonce
    missing = await google(api, id_token=id_token)
    assert_error(missing, 401, "nonce_mismatch")


async def test_bad_audience(api, fake):
    id_token = fake.google_id_token(aud="someone-elses-client.apps.googleusercontent.com")
    error = assert_error(await google(api, id_token=id_token), 401, "invalid_audience")
    assert "client id" in error["message"].lower()


async def test_expired_or_forged_id_token(api, fake):
    expired = fake.google_id_token(expires_in=-3600)
    error = assert_error(await google(api, id_token=expired), 401, "invalid_id_token")
    assert "expired" in error["message"]
    forged = await google(api, id_token="not-a-jwt")  # noqa: S106
    assert_error(forged, 401, "invalid_id_token")


async def test_missing_id_token_is_a_validation_error(api):
    assert_error(await api.post("/api/auth/google", json={}), 422)


async def test_refresh_rotates_and_reuse_is_refused(api, fake):
    first = (await google(api, id_token=fake.google_id_token())).json()
    rotated = await api.post("/api/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert rotated.status_code == 200, rotated.text
    second = rotated.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert second["user"]["id"] == first["user"]["id"]
    assert (await api.get("/api/me", headers=bearer(second["access_token"]))).status_code == 200
    reuse = await api.post("/api/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert_error(reuse, 401, "refresh_token_already_used")
    unknown = await api.post("/api/auth/refresh", json={"refresh_token": "nope"})
    assert_error(unknown, 401, "refresh_token_not_found")


async def test_logout_revokes_the_session(api, fake):
    body = (await google(api, id_token=fake.google_id_token())).json()
    out = await api.post("/api/auth/logout", headers=bearer(body["access_token"]))
    assert out.status_code == 204, out.text
    assert not fake.sessions
    again = await api.post("/api/auth/refresh", json={"refresh_token": body["refresh_token"]})
    assert_error(again, 401, "refresh_token_not_found")
    # Logging out twice is harmless.
    second = await api.post("/api/auth/logout", headers=bearer(body["access_token"]))
    assert second.status_code == 204


async def test_local_sign_in_is_refused_when_supabase_is_configured(api):
    response = await api.post("/api/auth/local", json={"token": "t" * 43})
    assert_error(response, 403, "local_sign_in_disabled")


async def test_supabase_unreachable_is_a_503(database, settings, fake):
    down = make_settings(
        settings.data_dir, supabase_url="http://127.0.0.1:9", supabase_anon_key="k"
    )
    app, _ = build_app(down, database, Clock())
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            response = await http.post("/api/auth/google", json={"id_token": "x"})
    assert_error(response, 503, "auth_unavailable")


async def test_wrong_api_key_is_reported_as_server_misconfiguration(database, settings, fake):
    wrong = make_settings(settings.data_dir, supabase_url=fake.base_url, supabase_anon_key="wrong")
    app, _ = build_app(wrong, database, Clock())
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            response = await http.post(
                "/api/auth/google", json={"id_token": fake.google_id_token()}
            )
    error = assert_error(response, 502, "auth_misconfigured")
    assert "wrong" not in json.dumps(error)


async def test_missing_anon_key_is_a_clear_503(database, settings, fake):
    no_key = make_settings(settings.data_dir, supabase_url=fake.base_url, supabase_anon_key=None)
    app, _ = build_app(no_key, database, Clock())
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            response = await http.post("/api/auth/google", json={"id_token": "x"})
            config = (await http.get("/api/auth/config")).json()
    assert "SUPABASE_ANON_KEY" in assert_error(response, 503, "auth_not_configured")["message"]
    assert config["mode"] == "supabase" and config["supabase_anon_key"] is None
