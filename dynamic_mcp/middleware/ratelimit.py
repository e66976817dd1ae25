"""Per-user rate limits on the expensive routes (chat, agent messages, credentials).

An in-memory token bucket per (rule, user): each process enforces its own limits, which is
what a single-instance deployment needs; several replicas would need a shared store.
The user is the verified ``sub`` of the bearer token, checked with the app's own verifier,
so a forged token can neither drain someone else's bucket nor dodge its own.
"""

import json
import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from starlette.types import ASGIApp, Receive, Scope, Send

from core.config import Settings
from core.errors import error_body
from dynamic_mcp.middleware.identity import verified_user_id


@dataclass
class Rule:
    """``per_minute`` requests, in bursts of up to ``per_minute``, on matching routes."""

    name: str
    method: str
    path: re.Pattern[str]
    per_minute: int


def default_rules(settings: Settings) -> list[Rule]:
    chat = settings.rate_limit_chat_per_minute
    creds = settings.rate_limit_credentials_per_minute
    return [
        Rule("chat", "POST", re.compile(r"/api/chat/?"), chat),
        Rule("chat", "POST", re.compile(r"/api/agents/[^/]+/messages/?"), chat),
        Rule("credentials", "POST", re.compile(r"/api/sessions/[^/]+/credentials/?"), creds),
        Rule("credentials", "DELETE", re.compile(r"/api/credentials/.+"), creds),
    ]


@dataclass
class TokenBucket:
    capacity: float
    rate: float  # tokens per second
    tokens: float
    updated: float = field(default=0.0)

    def take(self, now: float) -> float:
        """Take one token; return 0 when allowed, else the seconds until one is available."""
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate


class RateLimiter:
    """Buckets keyed by (rule name, user id); idle full buckets are dropped now and then."""

    def __init__(
        self, clock: Callable[[], float] = time.monotonic, max_keys: int = 100_000
    ) -> None:
        self.clock = clock
        self.max_keys = max_keys
        self.buckets: dict[tuple[str, str], TokenBucket] = {}

    def hit(self, rule: Rule, user_id: str) -> float:
        now = self.clock()
        if len(self.buckets) >= self.max_keys:
            self._prune(now)
        key = (rule.name, user_id)
        bucket = self.buckets.get(key)
        if bucket is None:
            cap = float(max(rule.per_minute, 1))
            bucket = self.buckets[key] = TokenBucket(cap, cap / 60.0, cap, now)
        return bucket.take(now)

    def _prune(self, now: float) -> None:
        for key, bucket in list(self.buckets.items()):
            if bucket.tokens + (now - bucket.updated) * bucket.rate >= bucket.capacity:
                del self.buckets[key]


class RateLimitMiddleware:
    """Answer 429 with ``Retry-After`` when a signed-in user exceeds a rule's rate.

    Requests without a valid token pass through untouched: the route itself answers 401.
    """

    def __init__(self, app: ASGIApp, rules: list[Rule], limiter: RateLimiter | None = None) -> None:
        self.app = app
        self.rules = [rule for rule in rules if rule.per_minute > 0]
        self.limiter = limiter or RateLimiter()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rule = self._match(scope["method"], scope["path"])
        user_id = await self._user_id(scope) if rule else None
        if rule and user_id:
            wait = self.limiter.hit(rule, user_id)
            if wait > 0:
                await self._reject(send, rule, math.ceil(wait))
                return
        await self.app(scope, receive, send)

    def _match(self, method: str, path: str) -> Rule | None:
        for rule in self.rules:
            if method == rule.method and rule.path.fullmatch(path):
                return rule
        return None

    async def _user_id(self, scope: Scope) -> str | None:
        state = scope.get("state") or {}
        if "user_id" in state:  # already resolved by UserContextMiddleware
            return str(state["user_id"]) if state["user_id"] is not None else None
        return await verified_user_id(scope)

    async def _reject(self, send: Send, rule: Rule, retry_after: int) -> None:
        message = f"Too many {rule.name} requests. Try again in {retry_after} s."
        details = {"limit_per_minute": rule.per_minute, "retry_after": retry_after}
        body = json.dumps(error_body("rate_limited", message, details)).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 429,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"retry-after", str(retry_after).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
