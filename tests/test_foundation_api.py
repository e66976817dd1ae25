"""Health endpoints and the JSON error shape for bad input."""

import pytest

from core.db.database import Database
from dynamic_mcp.app import create_app
from tests.conftest import make_settings


def assert_error_shape(response, status):
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    return body["error"]


async def test_health_reports_service_and_database(client):
    response = await client.get("/")
    assert response.status_code == 200
    body = response.json()
    assert body["service"] == "dynamic-mcp" and body["database"] == "ok"


async def test_liveness_and_readiness(client):
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200, ready.text
    assert ready.json()["checks"] == {"database": "ok", "migrations": "ok"}


async def test_request_id_is_returned_and_kept(client):
    response = await client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert response.headers["x-request-id"] == "abc-123"
    assert len((await client.get("/healthz")).headers["x-request-id"]) == 32


async def test_unknown_route_uses_error_shape(client):
    assert_error_shape(await client.get("/no/such/route"), 404)


async def test_protected_route_without_token_is_401(client):
    assert_error_shape(await client.get("/api/chat/history"), 401)


async def test_oversized_body_is_413(client):
    response = await client.post(
        "/api/chat", content=b"x" * 2_000_000, headers={"content-type": "application/json"}
    )
    assert assert_error_shape(response, 413)["code"] == "payload_too_large"


async def test_stopped_database_reports_not_ready(tmp_path):
    """A database that goes away makes /readyz answer 503 and / report it, without crashing."""
    import httpx

    settings = make_settings(tmp_path / "data")
    database = await Database.open(settings)
    app = create_app(settings, database=database)
    try:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
                assert (await http.get("/readyz")).status_code == 200
                await database.embedded.stop()
                ready = await http.get("/readyz")
                assert ready.status_code == 503
                assert ready.json()["checks"]["database"] == "unavailable"
                health = await http.get("/")
                assert health.status_code == 200 and health.json()["database"] == "unavailable"
    finally:
        await database.pool.close()


async def test_malformed_json_is_a_422_in_the_error_shape(client, make_user):
    user = await make_user()
    response = await client.post(
        "/api/chat",
        content=b'{"message": "hi"',
        headers={**user.headers, "content-type": "application/json"},
    )
    assert assert_error_shape(response, 422)["code"] == "validation_error"


@pytest.mark.parametrize(
    "body",
    [
        {"message": 42},
        {"message": ["a list"]},
        {"message": "hi", "session_id": "not-a-uuid"},
        {},
    ],
)
async def test_wrong_types_are_422_naming_the_field(client, make_user, body):
    user = await make_user()
    response = await client.post("/api/chat", json=body, headers=user.headers)
    error = assert_error_shape(response, 422)
    assert error["details"] and all("loc" in d for d in error["details"])


async def test_validation_errors_never_echo_the_input(client, make_user):
    user = await make_user()
    secret = "ghp_" + "A" * 36
    response = await client.post(
        "/api/chat", json={"message": "hi", "session_id": secret}, headers=user.headers
    )
    assert_error_shape(response, 422)
    assert secret not in response.text
