"""Access-token verification in Supabase mode: JWKS keys, rotation, every rejection."""

import asyncio
import time
import uuid

import httpx
import pytest
import pytest_asyncio
from cryptography.hazmat.primitives import serialization
from jose import jwt

from tests.auth_helpers import (
    Clock,
    SupabaseApp,
    assert_error,
    bearer,
    build_app,
    fake_fixture,
    gotrue_server_fixture,
    hand_signed,
    supabase_settings,
)
from tests.conftest import make_settings

LEGACY_SECRET = "legacy-jwt-secret-with-at-least-32-characters"  # noqa: S105
__all__ = ["fake_fixture", "gotrue_server_fixture"]  # fixtures used by name


async def _app(fake, database, data_dir, **extra):
    # The shared data dir: it holds the credentials key the shared database was written with.
    settings = supabase_settings(make_settings, data_dir, fake, **extra)
    clock = Clock()
    app, verifier = build_app(settings, database, clock)
    return app, SupabaseApp(None, fake, clock, settings, verifier)  # type: ignore[arg-type]


@pytest_asyncio.fixture(loop_scope="session")
async def supa(fake, database, settings):
    app, ctx = await _app(fake, database, settings.data_dir)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            ctx.client = http
            yield ctx


@pytest_asyncio.fixture(loop_scope="session")
async def legacy(fake, database, settings):
    """A project that still accepts tokens signed with the legacy HS256 secret."""
    app, ctx = await _app(fake, database, settings.data_dir, supabase_jwt_secret=LEGACY_SECRET)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            ctx.client = http
            yield ctx


def uid() -> str:
    return str(uuid.uuid4())


async def me(ctx, token):
    return await ctx.client.get("/api/me", headers=bearer(token))


async def test_valid_token_gives_profile(supa):
    user_id = uid()
    token = supa.fake.mint_access_token(
        user_id,
        email="ann@example.test",
        user_metadata={"full_name": "Ann", "avatar_url": "https://img.example/ann.png"},
    )
    response = await me(supa, token)
    assert response.status_code == 200, response.text
    assert response.json() == {
        "id": user_id,
        "email": "ann@example.test",
        "name": "Ann",
        "avatar_url": "https://img.example/ann.png",
    }
    # The JWKS is cached: more requests fetch nothing.
    await me(supa, token)
    assert supa.fake.jwks_requests == 1


async def test_missing_or_non_bearer_token(supa):
    assert_error(await supa.client.get("/api/me"), 401, "missing_token")
    basic = await supa.client.get("/api/me", headers={"Authorization": "Basic dTpw"})
    assert_error(basic, 401, "missing_token")


@pytest.mark.parametrize("token", ["abc", "a.b.c", "a.b", "x" * 20_000, "e30.e30.e30"])
async def test_malformed_tokens(supa, token):
    error = assert_error(await me(supa, token), 401)
    assert error["code"] == "invalid_token"


async def test_bad_signature_and_tampered_payload(supa):
    fake = supa.fake
    # Signed by a key nobody published, but claiming the published kid.
    impostor = fake.rotate()
    fake.revoke(impostor.kid)
    token = fake.mint_access_token(uid(), kid=impostor.kid)
    real_kid = fake.published[0]
    header, payload, signature = token.split(".")
    forged_header = hand_signed({"alg": "ES256", "kid": real_kid}, {}, None).split(".")[0]
    error = assert_error(await me(supa, f"{forged_header}.{payload}.{signature}"), 401)
    assert "signature" in error["message"].lower()
    # A genuine token whose payload was edited.
    good = fake.mint_access_token(uid(), kid=real_kid).split(".")
    other_payload = fake.mint_access_token(uid(), kid=real_kid).split(".")[1]
    tampered = f"{good[0]}.{other_payload}.{good[2]}"
    assert_error(await me(supa, tampered), 401, "invalid_token")


async def test_alg_none_is_rejected(supa):
    claims = supa.fake.access_claims(uid())
    for alg in ("none", "None", "NONE"):
        token = hand_signed({"alg": alg, "kid": supa.fake.active_kid, "typ": "JWT"}, claims, None)
        error = assert_error(await me(supa, token), 401, "invalid_token")
        assert "not allowed" in error["message"]


@pytest.mark.parametrize("encoding", ["der", "pem"])
async def test_hs256_signed_with_the_public_key_is_rejected(supa, legacy, encoding):
    """python-jose #414: a public key used as an HMAC secret must never verify."""
    for ctx in (supa, legacy):  # with and without a legacy HS256 secret configured
        key = ctx.fake.keys[ctx.fake.active_kid].private.public_key()
        if encoding == "der":
            secret = key.public_bytes(
                serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        else:
            secret = key.public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        claims = ctx.fake.access_claims(uid())
        for header in ({"alg": "HS256", "kid": ctx.fake.active_kid}, {"alg": "HS256"}):
            token = hand_signed(header, claims, secret)
            assert_error(await me(ctx, token), 401, "invalid_token")


async def test_expiry_with_small_leeway(supa):
    now = int(time.time())
    expired = supa.fake.mint_access_token(uid(), exp=now - 120, iat=now - 3720)
    error = assert_error(await me(supa, expired), 401, "token_expired")
    assert "expired" in error["message"]
    just_expired = supa.fake.mint_access_token(uid(), exp=now - 5, iat=now - 3605)
    assert (await me(supa, just_expired)).status_code == 200  # within the 30 s leeway


async def test_not_yet_valid(supa):
    now = int(time.time())
    assert_error(await me(supa, supa.fake.mint_access_token(uid(), nbf=now + 600)), 401)
    future_iat = supa.fake.mint_access_token(uid(), iat=now + 600, exp=now + 4200)
    error = assert_error(await me(supa, future_iat), 401)
    assert "not yet valid" in error["message"]


@pytest.mark.parametrize(
    ("claims", "words"),
    [
        ({"aud": "anon"}, "audience"),
        ({"aud": ["other"]}, "audience"),
        ({"iss": "https://other.supabase.co/auth/v1"}, "issuer"),
        ({"iss": "supabase"}, "issuer"),
        ({"role": "anon"}, "role"),
        ({"role": "service_role"}, "role"),
        ({"role": None}, "role"),
        ({"exp": None}, "exp"),
        ({"sub": None}, "sub"),
        ({"iat": None}, "iat"),
        ({"sub": "not-a-uuid"}, "subject"),
        ({"iat": "12"}, "iat"),
        ({"exp": "soon"}, "exp"),
    ],
)
async def test_claim_rejections(supa, claims, words):
    token = supa.fake.mint_access_token(uid(), **claims)
    error = assert_error(await me(supa, token), 401, "invalid_token")
    assert words in error["message"].lower(), error


async def test_unknown_kid_refetches_once_then_rejects(supa):
    fake = supa.fake
    assert (await me(supa, fake.mint_access_token(uid()))).status_code == 200
    assert fake.jwks_requests == 1
    stranger = fake.rotate()
    fake.revoke(stranger.kid)  # never published
    supa.clock.advance(31)
    token = fake.mint_access_token(uid(), kid=stranger.kid)
    error = assert_error(await me(supa, token), 401, "invalid_token")
    assert "unknown key" in error["message"]
    assert fake.jwks_requests == 2  # one refetch for the unknown kid
    for _ in range(3):  # no fetch storm: within 30 s nothing is refetched
        assert_error(await me(supa, fake.mint_access_token(uid(), kid="forged-kid")), 401)
    assert fake.jwks_requests == 2


async def test_key_rotation(supa):
    fake = supa.fake
    old_kid = fake.active_kid
    old_token = fake.mint_access_token(uid())
    assert (await me(supa, old_token)).status_code == 200
    supa.clock.advance(31)
    new = fake.rotate("RS256")  # a new RS256 signing key, the old one still published
    new_token = fake.mint_access_token(uid())
    assert jwt_kid(new_token) == new.kid
    assert (await me(supa, new_token)).status_code == 200
    assert (await me(supa, old_token)).status_code == 200
    # The old key is revoked: once the cache expires, its tokens stop working.
    fake.revoke(old_kid)
    supa.clock.advance(supa.settings.jwks_cache_ttl_seconds + 1)
    assert_error(await me(supa, old_token), 401, "invalid_token")
    assert (await me(supa, new_token)).status_code == 200


async def test_alg_must_match_the_key(supa):
    fake = supa.fake
    rsa = fake.rotate("RS256")
    supa.clock.advance(31)
    claims = fake.access_claims(uid())
    # An ES256 header naming the RSA key's kid.
    ec_kid = fake.published[0]
    token = fake.sign(claims, kid=ec_kid).split(".")
    header = hand_signed({"alg": "ES256", "kid": rsa.kid}, {}, None).split(".")[0]
    error = assert_error(await me(supa, f"{header}.{token[1]}.{token[2]}"), 401)
    assert "does not match" in error["message"]


async def test_jwks_down_fails_closed_and_recovers(supa):
    fake = supa.fake
    token = fake.mint_access_token(uid())
    fake.jwks_down = True
    error = assert_error(await me(supa, token), 401, "auth_unavailable")
    assert "unreachable" in error["message"]
    fake.jwks_down = False
    assert_error(await me(supa, token), 401, "auth_unavailable")  # no retry storm
    supa.clock.advance(31)
    assert (await me(supa, token)).status_code == 200
    # Down again after the TTL: cached keys are not trusted past it.
    fake.jwks_down = True
    supa.clock.advance(supa.settings.jwks_cache_ttl_seconds + 1)
    assert_error(await me(supa, token), 401, "auth_unavailable")
    fake.jwks_down = False
    supa.clock.advance(31)
    assert (await me(supa, token)).status_code == 200


async def test_jwks_down_within_ttl_keeps_known_keys(supa):
    fake = supa.fake
    token = fake.mint_access_token(uid())
    assert (await me(supa, token)).status_code == 200
    fake.jwks_down = True
    supa.clock.advance(31)
    assert_error(await me(supa, fake.mint_access_token(uid(), kid="unknown")), 401)
    assert (await me(supa, token)).status_code == 200


async def test_legacy_hs256_secret(legacy):
    claims = legacy.fake.access_claims(uid())
    good = hand_signed({"alg": "HS256", "typ": "JWT"}, claims, LEGACY_SECRET.encode())
    assert (await me(legacy, good)).status_code == 200
    wrong = hand_signed({"alg": "HS256"}, claims, b"another-secret-another-secret-xx")
    assert_error(await me(legacy, wrong), 401, "invalid_token")
    for alg in ("HS384", "HS512"):
        assert_error(await me(legacy, hand_signed({"alg": alg}, claims, b"x")), 401)


async def test_hs256_refused_without_a_secret(supa):
    claims = supa.fake.access_claims(uid())
    token = hand_signed({"alg": "HS256"}, claims, LEGACY_SECRET.encode())
    error = assert_error(await me(supa, token), 401, "invalid_token")
    assert "HS256" in error["message"]


def jwt_kid(token: str) -> str:
    from jose import jwt

    return jwt.get_unverified_header(token)["kid"]


@pytest.mark.parametrize("header", [{"alg": ["ES256"]}, {"kid": "x"}, {"alg": "ES256", "kid": 7}])
async def test_odd_headers_are_401_not_500(supa, header):
    token = hand_signed(header, supa.fake.access_claims(uid()), b"x")
    assert_error(await me(supa, token), 401, "invalid_token")


async def test_cold_cache_under_concurrency_fetches_once(supa):
    tokens = [supa.fake.mint_access_token(uid()) for _ in range(8)]
    responses = await asyncio.gather(*(me(supa, token) for token in tokens))
    assert [r.status_code for r in responses] == [200] * 8
    assert supa.fake.jwks_requests == 1


async def test_broken_or_weak_published_keys_are_401(supa):
    from cryptography.hazmat.primitives.asymmetric import rsa

    from tests.fakes.gotrue import SigningKey

    weak = SigningKey(
        "weak",
        "RS256",
        rsa.generate_private_key(public_exponent=65537, key_size=1024),  # noqa: S505
    )
    supa.fake.keys["weak"] = weak
    broken = {"kty": "EC", "crv": "P-256", "x": "AAAA", "y": "AAAA", "alg": "ES256", "kid": "bad"}
    supa.fake.extra_jwks = [weak.public_jwk(), broken]
    claims = supa.fake.access_claims(uid())
    error = assert_error(await me(supa, supa.fake.sign(claims, kid="weak")), 401, "invalid_token")
    assert "too weak" in error["message"]
    bad = supa.fake.sign(claims, kid="bad")  # signed by a throwaway key, kid of the broken one
    assert_error(await me(supa, bad), 401, "invalid_token")


@pytest.mark.parametrize("crit", [["b64"], ["x-policy"], [], "exp"])
async def test_validly_signed_token_with_crit_is_refused(supa, crit):
    """RFC 7515 §4.1.11: a token naming critical extensions we do not understand is refused."""
    key = supa.fake.keys[supa.fake.active_kid]
    claims = supa.fake.access_claims(uid())
    assert (await me(supa, supa.fake.sign(claims))).status_code == 200  # the same, without crit
    headers = {"kid": key.kid, "crit": crit, "b64": True, "x-policy": 1}
    token = jwt.encode(claims, key.signer(), algorithm=key.alg, headers=headers)
    error = assert_error(await me(supa, token), 401, "invalid_token")
    assert "crit" in error["message"]
