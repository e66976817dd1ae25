"""The OpenAPI document: error shapes, bearer security, request examples; /docs renders."""

from __future__ import annotations

from typing import Any

from core.errors import ErrorResponse

ERROR_REF = "#/components/schemas/ErrorResponse"
PUBLIC = {
    ("get", "/api/auth/config"),
    ("post", "/api/auth/local"),
    ("post", "/api/auth/google"),
    ("post", "/api/auth/refresh"),
    ("get", "/api/oauth/client-metadata.json"),  # read by authorization servers
}
METHODS = {"get", "post", "put", "patch", "delete"}


def _operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, op)
        for path, item in spec["paths"].items()
        for method, op in item.items()
        if method in METHODS
    ]


def _error_ref(op: dict[str, Any], status: str) -> str | None:
    response = op["responses"].get(status, {})
    return response.get("content", {}).get("application/json", {}).get("schema", {}).get("$ref")


def test_protected_operations_declare_bearer_and_401(app: Any) -> None:
    spec = app.openapi()
    bearer = {
        name
        for name, scheme in spec["components"]["securitySchemes"].items()
        if scheme["type"] == "http" and scheme["scheme"] == "bearer"
    }
    api_ops = [(m, p, op) for m, p, op in _operations(spec) if p.startswith("/api")]
    assert len(api_ops) > 15
    for method, path, op in api_ops:
        if (method, path) in PUBLIC:
            continue
        schemes = {name for requirement in op.get("security", []) for name in requirement}
        assert schemes & bearer, f"{method} {path} declares no bearer security"
        assert _error_ref(op, "401") == ERROR_REF, f"{method} {path} lacks a 401 ErrorResponse"
    assert all(not op.get("security") for m, p, op in api_ops if (m, p) in PUBLIC)


def test_error_statuses_use_the_error_shape(app: Any) -> None:
    spec = app.openapi()
    for method, path, op in _operations(spec):
        if "requestBody" in op:
            assert _error_ref(op, "422") == ERROR_REF, f"{method} {path} lacks a 422"
        if path.startswith("/api"):
            for status in op["responses"]:
                if status.startswith(("4", "5")):
                    assert _error_ref(op, status) == ERROR_REF, f"{method} {path} {status}"
    assert "HTTPValidationError" not in spec["components"]["schemas"]  # not what we send
    assert "Retry-After" in spec["paths"]["/api/chat"]["post"]["responses"]["429"]["headers"]


def test_request_bodies_have_examples(app: Any) -> None:
    schemas = app.openapi()["components"]["schemas"]
    for name in ("ChatRequest", "CredentialsIn", "LocalSignIn"):
        assert schemas[name].get("examples"), name
    assert schemas["ErrorResponse"]["examples"][0]["error"]["code"] == "not_found"


async def test_docs_and_real_errors_match_the_schema(client: Any, make_user: Any) -> None:
    docs = await client.get("/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()
    assert (await client.get("/openapi.json")).status_code == 200
    unauthorized = await client.get("/api/chat/history")
    assert unauthorized.status_code == 401
    assert ErrorResponse.model_validate(unauthorized.json()).error.code
    user = await make_user()
    invalid = await client.post("/api/chat", json={"message": ""}, headers=user.headers)
    assert invalid.status_code == 422
    assert ErrorResponse.model_validate(invalid.json()).error.code == "validation_error"
