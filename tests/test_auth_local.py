"""Local sign-in (the embedded default): one-time links, tokens, refresh rotation, sign-out,
the signing key."""

import asyncio
import io
import os
import re
import stat
import sys
import uuid
from pathlib import Path

import pytest
from jose import jwt

from auth.local import LOCAL_ALGORITHM, LOCAL_ISSUER, issue_local_token, key_path, signing_key
from auth.models import User
from auth.sign_in_links import announce, create_link, link_url
from dynamic_mcp.app import create_app
from tests.conftest import make_settings

ROOT = Path(__file__).resolve().parents[1]
LINK = re.compile(r"http://\S+/app/#sign-in=([A-Za-z0-9_-]+)")


def assert_error(response, status, code=None):
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["message"]
    if code:
        assert error["code"] == code, error
    return error


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


async def test_config_reports_local_mode(client):
    assert (await client.get("/api/auth/config")).json() == {
        "mode": "local",
        "supabase_url": None,
        "supabase_anon_key": None,
    }


async def test_local_sign_in_issues_supabase_shaped_tokens(client, database, settings, sign_in):
    email = f"ada-{uuid.uuid4().hex[:6]}@example.test"
    body = await sign_in(email=email, name="Ada Lovelace")
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


async def test_same_email_is_the_same_user_and_a_name_never_rewrites_a_profile(sign_in):
    email = f"Grace-{uuid.uuid4().hex[:6]}@Example.test"
    first = await sign_in(email=email, name="Grace Hopper")
    second = await sign_in(email=email.lower(), name="Mallory")
    assert first["user"]["id"] == second["user"]["id"]
    assert second["user"]["email"] == email.lower()
    assert second["user"]["name"] == "Grace Hopper"  # set when the account was made, only


async def test_default_local_user_without_email(sign_in):
    first, second = await sign_in(), await sign_in()
    assert first["user"]["id"] == second["user"]["id"]
    assert first["user"]["email"] == "local@localhost"


async def test_sign_in_needs_the_operators_link(client, database, settings):
    # Whoever reaches the port (another local user, an agent on loopback) but holds no link:
    for body in ({}, {"email": "alice@example.test"}, {"email": "a@b.c", "name": "Alice"}):
        assert_error(await client.post("/api/auth/local", json=body), 422)
    guess = {"token": "A" * 43}
    assert_error(await client.post("/api/auth/local", json=guess), 401, "invalid_sign_in_token")
    extra = {"token": await create_link(database, settings, "alice@example.test"), "email": "x@y"}
    assert_error(await client.post("/api/auth/local", json=extra), 422)


async def test_a_link_works_once_and_only_before_it_expires(client, database, settings, data_dir):
    token = await create_link(database, settings, f"once-{uuid.uuid4().hex[:6]}@example.test")
    assert (await client.post("/api/auth/local", json={"token": token})).status_code == 200
    again = await client.post("/api/auth/local", json={"token": token})
    assert_error(again, 401, "invalid_sign_in_token")
    stale = make_settings(data_dir, local_sign_in_link_ttl_seconds=-1)
    expired = await create_link(database, stale, "late@example.test")
    response = await client.post("/api/auth/local", json={"token": expired})
    assert_error(response, 401, "invalid_sign_in_token")
    async with database.service() as conn:
        stored = await conn.fetch("select token_hash from local_sign_in_links")
    assert all(token.encode() not in row["token_hash"] for row in stored)  # only digests


async def test_the_link_printed_at_start_signs_the_operator_in(client, database, data_dir, capsys):
    settings = make_settings(data_dir, port=8123)
    application = create_app(settings, database=database)
    async with application.router.lifespan_context(application):
        printed = capsys.readouterr().err
    found = LINK.search(printed)
    assert found and "http://127.0.0.1:8123/app/#sign-in=" in printed, printed
    body = await sign_in_local_with(client, found.group(1))
    assert body["user"]["email"] == "local@localhost"


async def sign_in_local_with(client, token):
    response = await client.post("/api/auth/local", json={"token": token})
    assert response.status_code == 200, response.text
    return response.json()


def test_link_url_and_announcement(data_dir):
    settings = make_settings(data_dir, host="0.0.0.0", port=9000)  # noqa: S104
    assert link_url(settings, "tok") == "http://127.0.0.1:9000/app/#sign-in=tok"
    public = make_settings(data_dir, public_url="https://agents.example.com/")
    assert link_url(public, "tok") == "https://agents.example.com/app/#sign-in=tok"
    out = io.StringIO()
    announce(public, "tok", out)
    assert "https://agents.example.com/app/#sign-in=tok" in out.getvalue()
    assert "works once, for 15 min" in out.getvalue()


async def test_cli_makes_a_link_for_a_named_account(client, settings):
    """What the operator runs for another account: `dynamic-mcp sign-in-link --email ...`."""
    email = f"cli-{uuid.uuid4().hex[:6]}@example.test"
    env = {**os.environ, "DATA_DIR": str(settings.data_dir), "ENVIRONMENT": "test"}
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        *("-m", "dynamic_mcp.cli", "sign-in-link", "--email", email),
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout=120)
    assert proc.returncode == 0, err.decode()[-2000:]
    found = LINK.search(out.decode())
    assert found, out
    body = await sign_in_local_with(client, found.group(1))
    assert body["user"]["email"] == email


@pytest.mark.parametrize("crit", [["b64"], ["x-policy"], [], "exp"])
async def test_validly_signed_local_token_with_crit_is_refused(client, settings, crit):
    """RFC 7515 §4.1.11: unknown critical header extensions mean the token is refused."""
    key = signing_key(settings)
    user_id = str(uuid.uuid4())
    good, _ = issue_local_token(settings, user_id, "c@example.test")
    claims = jwt.get_unverified_claims(good)
    headers = {"kid": key.kid, "typ": "JWT", "crit": crit, "b64": True, "x-policy": 1}
    forged = jwt.encode(claims, key.signer(), algorithm=LOCAL_ALGORITHM, headers=headers)
    error = assert_error(await client.get("/api/me", headers=bearer(forged)), 401, "invalid_token")
    assert "crit" in error["message"]


async def test_refresh_rotates_and_reuse_revokes_the_session(client, sign_in):
    body = await sign_in(email=f"r-{uuid.uuid4().hex[:6]}@example.test")
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


async def test_logout_revokes_refresh_tokens(client, sign_in):
    body = await sign_in(email=f"l-{uuid.uuid4().hex[:6]}@example.test")
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
