"""Local sign-in (the embedded default): tokens, refresh rotation, sign-out, the signing key."""

import stat
import uuid

from jose import jwt

from auth.local import LOCAL_ISSUER, issue_local_token, key_path, signing_key
from auth.models import User
from tests.conftest import make_settings


def assert_error(response, status, code=None):
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["message"]
    if code:
        assert error["code"] == code, error
    return error


async def sign_in(client, **body):
    response = await client.post("/api/auth/local", json=body)
    assert response.status_code == 200, response.text
    return response.json()


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


async def test_config_reports_local_mode(client):
    assert (await client.get("/api/auth/config")).json() == {
        "mode": "local",
        "supabase_url": None,
        "supabase_anon_key": None,
    }


async def test_local_sign_in_issues_supabase_shaped_tokens(client, database, settings):
    email = f"ada-{uuid.uuid4().hex[:6]}@example.test"
    body = await sign_in(client, email=email, name="Ada Lovelace")
    assert body["token_type"] == "bearer"  # noqa: S105
    assert body["refresh_token"]
    assert body["user"] == {
        "id": body["user"]["id"],
        "email": email,
        "name": "Ada Lovelace",
        "avatar_url": None,
    }
    claims = jwt.get_unverified_claims(body["access_token"])
    header = jwt.get_unverified_header(body["access_token"])
    assert header["alg"] == "ES256" and header["kid"] == signing_key(settings).kid
    assert claims["iss"] == LOCAL_ISSUER and claims["aud"] == "authenticated"
    assert claims["role"] == "authenticated" and claims["sub"] == body["user"]["id"]
    assert claims["exp"] == body["expires_at"]
    me = await client.get("/api/me", headers=bearer(body["access_token"]))
    assert me.json() == body["user"]
    async with database.service() as conn:
        row = await conn.fetchrow(
            "select email, role from auth.users where id = $1", uuid.UUID(body["user"]["id"])
        )
        stored = await conn.fetch(
            "select token_hash from local_refresh_tokens where user_id = $1",
            uuid.UUID(body["user"]["id"]),
        )
    assert row["email"] == email and row["role"] == "authenticated"
    assert len(stored) == 1 and body["refresh_token"].encode() not in stored[0]["token_hash"]


async def test_same_email_is_the_same_user_and_name_updates(client):
    email = f"Grace-{uuid.uuid4().hex[:6]}@Example.test"
    first = await sign_in(client, email=email)
    second = await sign_in(client, email=email.lower(), name="Grace")
    assert first["user"]["id"] == second["user"]["id"]
    assert second["user"]["email"] == email.lower() and second["user"]["name"] == "Grace"


async def test_default_local_user_without_email(client):
    first, second = await sign_in(client), await sign_in(client)
    assert first["user"]["id"] == second["user"]["id"]


async def test_bad_email_is_a_validation_error(client):
    assert_error(await client.post("/api/auth/local", json={"email": "not-an-email"}), 422)


async def test_refresh_rotates_and_reuse_revokes_the_session(client):
    body = await sign_in(client, email=f"r-{uuid.uuid4().hex[:6]}@example.test")
    rotated = await client.post("/api/auth/refresh", json={"refresh_token": body["refresh_token"]})
    assert rotated.status_code == 200, rotated.text
    new = rotated.json()
    assert new["refresh_token"] != body["refresh_token"] and new["user"] == body["user"]
    old_sid = jwt.get_unverified_claims(body["access_token"])["session_id"]
    assert jwt.get_unverified_claims(new["access_token"])["session_id"] == old_sid
    assert (await client.get("/api/me", headers=bearer(new["access_token"]))).status_code == 200
    # The spent token comes back (stolen?): refused, and the whole session is revoked.
    reuse = await client.post("/api/auth/refresh", json={"refresh_token": body["refresh_token"]})
    assert_error(reuse, 401, "refresh_token_already_used")
    after = await client.post("/api/auth/refresh", json={"refresh_token": new["refresh_token"]})
    assert_error(after, 401, "session_not_found")


async def test_unknown_refresh_token(client):
    response = await client.post("/api/auth/refresh", json={"refresh_token": "nope"})
    assert_error(response, 401, "refresh_token_not_found")


async def test_logout_revokes_refresh_tokens(client):
    body = await sign_in(client, email=f"l-{uuid.uuid4().hex[:6]}@example.test")
    assert_error(await client.post("/api/auth/logout"), 401, "missing_token")
    out = await client.post("/api/auth/logout", headers=bearer(body["access_token"]))
    assert out.status_code == 204, out.text
    again = await client.post("/api/auth/refresh", json={"refresh_token": body["refresh_token"]})
    assert_error(again, 401, "session_not_found")


async def test_google_sign_in_is_refused_in_local_mode(client):
    response = await client.post("/api/auth/google", json={"id_token": "x"})
    assert_error(response, 403, "google_sign_in_disabled")


async def test_signing_key_is_private_and_persistent(tmp_path):
    settings = make_settings(tmp_path)
    token, _ = issue_local_token(settings, str(uuid.uuid4()), "a@example.test")
    path = key_path(settings)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    kid = jwt.get_unverified_header(token)["kid"]
    # A second process (simulated: a cleared cache) reads the same key back.
    from auth import local

    local._keys.clear()
    assert signing_key(settings).kid == kid
    path.chmod(0o644)
    local._keys.clear()
    signing_key(settings)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


async def test_token_from_another_local_key_is_rejected(client, tmp_path):
    other = make_settings(tmp_path)
    token, _ = issue_local_token(other, str(uuid.uuid4()), "mallory@example.test")
    assert_error(await client.get("/api/me", headers=bearer(token)), 401, "invalid_token")


def test_user_from_claims_reads_profile():
    user = User.from_claims(
        {
            "sub": "u1",
            "email": "",
            "user_metadata": {
                "email": "a@b.c",
                "full_name": "A B",
                "avatar_url": "https://x/y.png",
            },
        }
    )
    assert (user.email, user.name, user.avatar_url) == ("a@b.c", "A B", "https://x/y.png")
