"""The /app page and client module, security headers, and per-user rate limits."""

import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio

from core.db.database import Database
from dynamic_mcp.app import create_app
from dynamic_mcp.middleware.ratelimit import default_rules
from dynamic_mcp.middleware.security import page_csp
from tests.conftest import create_user, make_settings

CLIENT_SOURCE = Path(__file__).resolve().parents[1] / "clients" / "js" / "dynamic-mcp-client.js"


async def test_page_is_served_with_a_strict_csp(client: httpx.AsyncClient) -> None:
    redirect = await client.get("/app")
    assert redirect.status_code == 308 and redirect.headers["location"] == "/app/"
    page = await client.get("/app/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert '<script type="module" src="app.js">' in page.text
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["cache-control"] == "no-cache"


@pytest.mark.parametrize(
    ("path", "type_"),
    [
        ("/app/client.js", "text/javascript"),
        ("/app/app.js", "text/javascript"),
        ("/app/app.css", "text/css"),
        ("/app/vendor/supabase.umd.js", "text/javascript"),
    ],
)
async def test_page_assets(client: httpx.AsyncClient, path: str, type_: str) -> None:
    response = await client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(type_)


async def test_every_module_the_page_imports_is_served(client: httpx.AsyncClient) -> None:
    page = (await client.get("/app/")).text
    pending = re.findall(r'src="([\w./-]+\.js)"', page)
    seen: set[str] = set()
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        response = await client.get(f"/app/{name}")
        assert response.status_code == 200, name
        assert response.headers["content-type"].startswith("text/javascript"), name
        pending += re.findall(r'from "\./([\w.-]+\.js)"', response.text)
    assert {"app.js", "client.js", "chat.js", "agent.js", "sessions.js"} <= seen


async def test_client_module_is_the_clients_js_file(client: httpx.AsyncClient) -> None:
    served = (await client.get("/app/client.js")).text
    assert served == CLIENT_SOURCE.read_text()  # noqa: ASYNC240
    assert "export class DynamicMcpClient" in served


async def test_no_file_outside_the_web_dir(client: httpx.AsyncClient) -> None:
    for path in ("/app/../pyproject.toml", "/app/%2e%2e/pyproject.toml", "/app/..%2fuv.lock"):
        response = await client.get(path)
        assert response.status_code == 404, path
        assert "dependencies" not in response.text


async def test_api_responses_carry_security_headers_only(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert "content-security-policy" not in response.headers  # /docs loads Swagger UI from a CDN
    assert "strict-transport-security" not in response.headers  # plain http


async def test_hsts_only_over_https(app: object) -> None:
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as http:
        response = await http.get("/healthz")
    assert response.headers["strict-transport-security"].startswith("max-age=")


def test_csp_allows_the_supabase_origin_for_the_oauth_exchange() -> None:
    csp = page_csp(["https://abc.supabase.co"])
    assert "connect-src 'self' https://abc.supabase.co" in csp


def test_default_rules_cover_chat_agents_credentials_and_sign_in(data_dir: Path) -> None:
    settings = make_settings(
        data_dir,
        rate_limit_agents_per_minute=10,
        rate_limit_auth_per_minute=20,
        rate_limit_ip_per_minute=120,
    )
    rules = default_rules(settings)
    matched = {
        (rule.name, rule.scope, method, path)
        for method, path in [
            ("POST", "/api/chat"),
            ("POST", "/api/agents/a1/messages"),
            ("POST", "/api/sessions/s1/credentials"),
            ("DELETE", "/api/credentials/github/TOKEN"),
            ("POST", "/api/agents"),
            ("POST", "/api/agents/a1/start"),
            ("POST", "/api/agents/a1/stop"),
            ("POST", "/api/auth/local"),
            ("POST", "/api/auth/refresh"),
            ("POST", "/api/auth/google"),
            ("GET", "/api/chat/history"),
            ("GET", "/api/agents"),
        ]
        for rule in rules
        if rule.method == method and rule.path.fullmatch(path)
    }
    assert {(name, scope) for name, scope, _, _ in matched} == {
        ("chat", "user"),
        ("credentials", "user"),
        ("agents", "user"),
        ("ip", "ip"),
        ("auth", "ip"),
    }
    agent_paths = {path for name, _, _, path in matched if name == "agents"}
    assert agent_paths == {"/api/agents", "/api/agents/a1/start", "/api/agents/a1/stop"}
    assert not any(method == "GET" for _, _, method, _ in matched)  # reads are not limited
    off = make_settings(data_dir, rate_limit_chat_per_minute=0)
    assert not any(rule.name == "chat" for rule in default_rules(off))


@pytest_asyncio.fixture(loop_scope="session")
async def limited_client(data_dir: Path, database: Database) -> AsyncIterator[httpx.AsyncClient]:
    settings = make_settings(data_dir, rate_limit_credentials_per_minute=2)
    application = create_app(settings, database=database)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            http.app_settings = settings  # type: ignore[attr-defined]
            yield http


async def test_credentials_are_rate_limited_per_user(
    limited_client: httpx.AsyncClient, database: Database
) -> None:
    settings = limited_client.app_settings  # type: ignore[attr-defined]
    alice = await create_user(database, settings)
    bob = await create_user(database, settings)
    url = "/api/sessions/00000000-0000-0000-0000-000000000000/credentials"
    body = {"server": "github", "values": {"X": "y"}}
    statuses = [
        (await limited_client.post(url, json=body, headers=alice.headers)).status_code
        for _ in range(2)
    ]
    assert 429 not in statuses
    limited = await limited_client.post(url, json=body, headers=alice.headers)
    assert limited.status_code == 429
    assert 1 <= int(limited.headers["retry-after"]) <= 120  # a sliding one-minute window
    error = limited.json()["error"]
    assert error["code"] == "rate_limited"
    assert "Try again" in error["message"]
    assert error["details"]["limit_per_minute"] == 2
    assert limited.headers["x-content-type-options"] == "nosniff"  # still wrapped in headers
    # another user has their own bucket; a forged or missing token is left to the route (401)
    assert (await limited_client.post(url, json=body, headers=bob.headers)).status_code != 429
    forged = {"Authorization": f"Bearer {alice.token[:-4]}AAAA"}
    assert (await limited_client.post(url, json=body, headers=forged)).status_code == 401
    assert (await limited_client.post(url, json=body)).status_code == 401


def test_browser_tests_fail_loudly_without_chromium(tmp_path: Path) -> None:
    from tests.browser.conftest import require_chromium

    with pytest.raises(pytest.fail.Exception, match="apt-get install -y chromium"):
        require_chromium(tmp_path / "no-chromium")


async def test_cross_origin_clients_can_read_retry_after(
    data_dir: Path, database: Database
) -> None:
    settings = make_settings(data_dir, cors_origins=["https://chat.example.com"])
    application = create_app(settings, database=database)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            response = await http.get("/healthz", headers={"Origin": "https://chat.example.com"})
    assert response.headers["access-control-allow-origin"] == "https://chat.example.com"
    exposed = response.headers["access-control-expose-headers"].lower()
    assert "retry-after" in exposed and "x-request-id" in exposed
