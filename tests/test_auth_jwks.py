"""The JWKS cache on its own: which published keys it trusts, and how it fails."""

import httpx
import pytest

from auth.jwks import JwksCache, KeysUnavailable
from tests.auth_helpers import Clock

EC = {"kty": "EC", "crv": "P-256", "x": "eA", "y": "eQ", "alg": "ES256", "kid": "ec"}
RSA = {"kty": "RSA", "n": "bg", "e": "AQAB", "kid": "rsa"}  # no alg: inferred RS256


def cache_serving(*responses: httpx.Response) -> tuple[JwksCache, Clock]:
    queue = list(responses)

    def handler(request: httpx.Request) -> httpx.Response:
        return queue.pop(0) if len(queue) > 1 else queue[0]

    clock = Clock()
    cache = JwksCache(
        "https://p.example/auth/v1/.well-known/jwks.json",
        clock=clock,
        transport=httpx.MockTransport(handler),
    )
    return cache, clock


async def test_only_signature_keys_of_allowed_types_are_kept():
    keys = [
        EC,
        RSA,
        {"kty": "oct", "k": "c2VjcmV0", "alg": "HS256", "kid": "oct"},  # never from a JWKS
        {**EC, "kid": "ec-as-hs", "alg": "HS256"},  # alg that does not fit the key type
        {**EC, "kid": "p384", "crv": "P-384"},
        {**EC, "kid": "enc", "use": "enc"},
        {**EC, "kid": "sign-only", "key_ops": ["sign"]},
        {"kty": "EC", "crv": "P-256"},  # no kid
        "junk",
    ]
    cache, _ = cache_serving(httpx.Response(200, json={"keys": keys}))
    assert await cache.get("ec") == EC
    assert await cache.get("rsa") == RSA
    for kid in ("oct", "ec-as-hs", "p384", "enc", "sign-only"):
        assert await cache.get(kid) is None


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(503, text="down"),
        httpx.Response(200, text="not json"),
        httpx.Response(200, json=["no", "keys"]),
        httpx.Response(200, json={"keys": "nope"}),
    ],
)
async def test_bad_responses_fail_closed(response):
    cache, _ = cache_serving(response)
    with pytest.raises(KeysUnavailable):
        await cache.get("ec")


async def test_invalidate_forces_a_refetch():
    cache, _ = cache_serving(
        httpx.Response(200, json={"keys": [EC]}), httpx.Response(200, json={"keys": []})
    )
    assert await cache.get("ec") == EC
    cache.invalidate()
    assert await cache.get("ec") is None
    assert cache.fetch_count == 2
