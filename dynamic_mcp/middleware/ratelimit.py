"""Rate limits on the expensive and the abuse-prone routes, per account and per client address.

The counters live in Postgres (``public.rate_limit_hit``, sql/096), so every service instance on
one database enforces the same limits: a sliding one-minute window per key, one round trip per
limited request. Accounts are free to make, so the expensive routes are limited per client
address as well as per account; sign-in and refresh, which have no account yet, per address.

The account is the verified ``sub`` of the bearer token (checked by ``UserContextMiddleware``
with the app's own verifier), so a forged token can neither drain someone else's budget nor
dodge its own. The address is the connection's peer, or the proxy's ``X-Forwarded-For`` when
uvicorn trusts that proxy (``--forwarded-allow-ips``); IPv6 clients count per /64, the block
one subscriber usually holds.
"""

import ipaddress
import logging
import math
import re
from dataclasses import dataclass
from typing import Literal

from starlette.types import ASGIApp, Receive, Scope, Send

from core.config import Settings
from core.db.database import Database
from core.errors import AppError, error_response

log = logging.getLogger(__name__)

WINDOW_SECONDS = 60


@dataclass(frozen=True)
class Rule:
    """At most ``per_minute`` requests per ``scope`` key (user or client address) on a route."""

    name: str
    method: str
    path: re.Pattern[str]
    per_minute: int
    scope: Literal["user", "ip"] = "user"


_LIMITED_ROUTES = [  # (rule name, method, path): the per-account limits
    ("chat", "POST", r"/api/chat/?"),
    ("chat", "POST", r"/api/agents/[^/]+/messages/?"),
    ("credentials", "POST", r"/api/sessions/[^/]+/credentials/?"),
    ("credentials", "DELETE", r"/api/credentials/.+"),
    ("agents", "POST", r"/api/agents/?"),  # builds a config (validated by fast-agent)
    ("agents", "POST", r"/api/agents/[^/]+/(start|stop)/?"),
]
# Sign-in and refresh; another router that signs people in adds its paths here.
AUTH_ROUTES = [("POST", r"/api/auth/(local|google|refresh)/?")]


def default_rules(settings: Settings) -> list[Rule]:
    """The service's limits from its settings (a limit of 0 switches that rule off)."""
    per_user = {
        "chat": settings.rate_limit_chat_per_minute,
        "credentials": settings.rate_limit_credentials_per_minute,
        "agents": settings.rate_limit_agents_per_minute,
    }
    rules = [
        Rule(name, method, re.compile(path), per_user[name], "user")
        for name, method, path in _LIMITED_ROUTES
    ]
    # One budget per address across every limited route: many free accounts, one budget.
    rules += [
        Rule("ip", method, re.compile(path), settings.rate_limit_ip_per_minute, "ip")
        for _, method, path in _LIMITED_ROUTES
    ]
    rules += [
        Rule("auth", method, re.compile(path), settings.rate_limit_auth_per_minute, "ip")
        for method, path in AUTH_ROUTES
    ]
    return [rule for rule in rules if rule.per_minute > 0]


def client_key(scope: Scope) -> str | None:
    """The client's address as a limit key (IPv6: its /64), or None when unknown."""
    client = scope.get("client")
    if not client:
        return None
    try:
        address = ipaddress.ip_address(client[0])
    except ValueError:
        return str(client[0])[:64]  # e.g. a unix socket peer name
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


class PostgresRateLimiter:
    """Counts hits in the database every instance shares."""

    async def hit(self, db: Database, keys: list[str], limits: list[int]) -> list[float]:
        """Count one request against every key; per key, seconds to wait (all 0 = allowed)."""
        async with db.service() as conn:
            waits = await conn.fetchval(
                "select public.rate_limit_hit($1, $2, $3)", keys, limits, WINDOW_SECONDS
            )
        return [float(w) for w in waits]


class RateLimitMiddleware:
    """Answer 429 with ``Retry-After`` when a request exceeds any of its rules.

    Per-account rules skip requests without a valid token (the route answers 401); the
    per-address rules count those too. When the database cannot count, the request goes on:
    the route needs the same database and will say so itself.
    """

    def __init__(self, app: ASGIApp, rules: list[Rule]) -> None:
        self.app = app
        self.rules = rules
        self.limiter = PostgresRateLimiter()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        checks = self._checks(scope)
        db = getattr(scope["app"].state, "db", None) if checks else None
        if checks and db is not None:
            keys = sorted(checks)  # one lock order for every caller (see sql/096)
            try:
                waits = await self.limiter.hit(db, keys, [checks[k].per_minute for k in keys])
            except (AppError, OSError) as exc:
                log.warning("rate limits not checked: %s", exc)
                waits = []
            over = [(wait, checks[key]) for key, wait in zip(keys, waits, strict=True) if wait > 0]
            if over:
                wait, rule = max(over, key=lambda pair: pair[0])
                await self._reject(scope, receive, send, rule, max(1, math.ceil(wait)))
                return
        await self.app(scope, receive, send)

    def _checks(self, scope: Scope) -> dict[str, Rule]:
        method, path = scope["method"], scope["path"]
        checks: dict[str, Rule] = {}
        for rule in self.rules:
            if method != rule.method or not rule.path.fullmatch(path):
                continue
            if rule.scope == "user":
                who = (scope.get("state") or {}).get("user_id")
            else:
                who = client_key(scope)
            if who:
                checks[f"{rule.name}:{rule.scope}:{who}"] = rule
        return checks

    async def _reject(
        self, scope: Scope, receive: Receive, send: Send, rule: Rule, retry_after: int
    ) -> None:
        per = "account" if rule.scope == "user" else "client address"
        message = f"Too many {rule.name} requests from this {per}. Try again in {retry_after} s."
        details = {
            "rule": rule.name,
            "scope": rule.scope,
            "limit_per_minute": rule.per_minute,
            "retry_after": retry_after,
        }
        headers = {"Retry-After": str(retry_after)}
        await error_response(429, "rate_limited", message, details, headers)(scope, receive, send)
