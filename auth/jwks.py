"""A cached copy of the Supabase project's public signing keys (JWKS).

Cached for ``ttl`` seconds; an unknown ``kid`` triggers a refetch at most every
``min_refetch_interval`` seconds (no fetch storms from forged kids). Stale keys are never
used: when the endpoint is down after the TTL, verification fails closed until it returns.
"""

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

import httpx

log = logging.getLogger(__name__)

# The only key types and algorithms we accept from a JWKS, and how they pair up.
ASYMMETRIC_ALGS = {"ES256": ("EC", "P-256"), "RS256": ("RSA", None)}


class KeysUnavailable(Exception):
    """The JWKS could not be fetched and no fresh copy is cached."""


def _usable(jwk: Any) -> bool:
    if not isinstance(jwk, dict) or not isinstance(jwk.get("kid"), str):
        return False
    if jwk.get("use", "sig") != "sig":
        return False
    ops = jwk.get("key_ops")
    if ops is not None and "verify" not in ops:
        return False
    alg = jwk.get("alg") or {"EC": "ES256", "RSA": "RS256"}.get(jwk.get("kty", ""))
    expected = ASYMMETRIC_ALGS.get(alg or "")
    if expected is None or jwk.get("kty") != expected[0]:
        return False
    return expected[1] is None or jwk.get("crv") == expected[1]


class JwksCache:
    def __init__(
        self,
        url: str,
        *,
        ttl: float = 600.0,
        min_refetch_interval: float = 30.0,
        timeout: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.url = url
        self.ttl = ttl
        self.min_refetch_interval = min_refetch_interval
        self.timeout = timeout
        self.clock = clock
        self.transport = transport
        self.fetch_count = 0
        self._keys: dict[str, dict[str, Any]] = {}
        self._fetched_at: float | None = None
        self._attempted_at: float | None = None
        self._lock = asyncio.Lock()

    def invalidate(self) -> None:
        """Forget the cached keys (e.g. after revoking a key during an incident)."""
        self._keys = {}
        self._fetched_at = None
        self._attempted_at = None

    def _fresh(self) -> bool:
        return self._fetched_at is not None and self.clock() - self._fetched_at < self.ttl

    def _may_attempt(self) -> bool:
        return (
            self._attempted_at is None
            or self.clock() - self._attempted_at >= self.min_refetch_interval
        )

    async def get(self, kid: str) -> dict[str, Any] | None:
        """The JWK for ``kid``, or None when the project does not publish it."""
        if self._fresh() and kid in self._keys:
            return self._keys[kid]
        async with self._lock:
            if self._fresh() and kid in self._keys:  # fetched while we waited
                return self._keys[kid]
            if self._may_attempt():
                await self._refresh()
            if not self._fresh():
                raise KeysUnavailable(self.url)
            return self._keys.get(kid)

    async def _refresh(self) -> None:
        self._attempted_at = self.clock()
        self.fetch_count += 1
        try:
            async with httpx.AsyncClient(timeout=self.timeout, transport=self.transport) as client:
                response = await client.get(self.url, headers={"Accept": "application/json"})
                response.raise_for_status()
                body = response.json()
            keys = body.get("keys") if isinstance(body, dict) else None
            if not isinstance(keys, list):
                raise ValueError("response has no 'keys' list")
        except (httpx.HTTPError, ValueError) as exc:
            log.warning("JWKS fetch from %s failed: %s", self.url, exc)
            if not self._fresh():
                self._keys = {}  # fail closed: never verify with expired keys
            return
        self._keys = {jwk["kid"]: jwk for jwk in keys if _usable(jwk)}
        self._fetched_at = self._attempted_at
