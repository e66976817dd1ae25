"""Hostile input: every operation in the live OpenAPI schema, fuzzed in-process.

Schemathesis turns each operation of ``app.openapi()`` into Hypothesis strategies (schema-valid
and schema-violating requests); each example is sent with one of several tokens (a valid one,
none, forged/expired/foreign ones, or whatever the generator made up). Whatever the input, the
service must never answer 5xx, never show a stack trace, and always use the JSON error shape.

The schema is read when the test runs, so routes added later are fuzzed without editing this file.
Hypothesis runs in a worker thread; each request is sent on the test's event loop, where the
app and its asyncpg pool live.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx
import pytest
import schemathesis
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from jose import jwt
from jose.backends.cryptography_backend import CryptographyECKey
from schemathesis import GenerationMode

from auth.local import LOCAL_ISSUER, issue_local_token, local_claims, signing_key
from dynamic_mcp.app import create_app
from tests.conftest import make_settings

# Examples per operation and generation mode: ~20 s for the whole API on 2 cores.
EXAMPLES = {GenerationMode.POSITIVE: 12, GenerationMode.NEGATIVE: 8}

STACK_TRACE_MARKERS = (
    "Traceback (most recent call last)",
    'File "/',
    "site-packages",
    '.py", line',
)


@dataclass
class Failure:
    operation: str
    auth: str
    status: int
    problem: str
    request: str
    body: str

    def __str__(self) -> str:
        return (
            f"{self.operation} [{self.auth}] -> {self.status}: {self.problem}\n"
            f"    request: {self.request}\n    response: {self.body}"
        )


def _b64json(value: dict[str, Any]) -> str:
    import base64

    raw = json.dumps(value, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def hostile_tokens(settings: Any, user_id: str, email: str) -> dict[str, str | None]:
    """Authorization header values, keyed by a label used in failure reports."""
    now = int(time.time())
    kid = signing_key(settings).kid
    claims = local_claims(
        user_id, email, None, issued_at=now, expires_at=now + 600, session_id=str(uuid.uuid4())
    )
    valid, _ = issue_local_token(settings, user_id, email)
    expired, _ = issue_local_token(
        settings.model_copy(update={"local_token_ttl_seconds": -3600}), user_id, email
    )
    ghost, _ = issue_local_token(settings, str(uuid.uuid4()), "ghost@example.test")
    other_key = CryptographyECKey(ec.generate_private_key(ec.SECP256R1()), "ES256")
    forged = jwt.encode(claims, other_key, algorithm="ES256", headers={"kid": kid})
    hs256 = jwt.encode(claims, "secret", algorithm="HS256", headers={"kid": kid})
    alg_none = f"{_b64json({'alg': 'none', 'typ': 'JWT', 'kid': kid})}.{_b64json(claims)}."
    wrong_aud = jwt.encode(
        {**claims, "aud": "anon", "iss": LOCAL_ISSUER},
        signing_key(settings).signer(),
        algorithm="ES256",
        headers={"kid": kid},
    )
    return {
        "valid": f"Bearer {valid}",
        "none": None,
        "generated": "generated",  # keep whatever header schemathesis produced
        "expired": f"Bearer {expired}",
        "unknown-user": f"Bearer {ghost}",
        "forged-signature": f"Bearer {forged}",
        "hs256-confusion": f"Bearer {hs256}",
        "alg-none": f"Bearer {alg_none}",
        "wrong-audience": f"Bearer {wrong_aud}",
        "garbage": "Bearer ' OR 1=1 --",
        "basic": "Basic YWRtaW46YWRtaW4=",
        "oversized": "Bearer " + "A" * 20_000,
    }


def check_response(response: httpx.Response) -> str | None:
    """The problem with a response, or None when it is acceptable."""
    text = response.text
    if response.status_code >= 500:
        return "server error"
    for marker in STACK_TRACE_MARKERS:
        if marker in text:
            return f"stack trace marker {marker!r} in body"
    if response.status_code >= 400:
        if "application/json" not in response.headers.get("content-type", ""):
            return "error response is not JSON"
        try:
            body = response.json()
        except ValueError:
            return "error body does not parse"
        error = body.get("error") if isinstance(body, dict) else None
        if set(body) != {"error"} or not isinstance(error, dict):
            return "error body is not {'error': {...}}"
        if set(error) != {"code", "message", "details"}:
            return f"error keys are {sorted(error)}"
        if not (isinstance(error["code"], str) and error["code"]):
            return "error code is not a non-empty string"
        if not (isinstance(error["message"], str) and error["message"]):
            return "error message is not a non-empty string"
    elif "application/json" in response.headers.get("content-type", ""):
        try:
            response.json()
        except ValueError:
            return "JSON success body does not parse"
    return None


def to_httpx(kwargs: dict[str, Any]) -> dict[str, Any]:
    """Schemathesis serialises for `requests`; translate to httpx request arguments."""
    out: dict[str, Any] = {
        "method": kwargs["method"],
        "url": kwargs["url"],
        "headers": dict(kwargs.get("headers") or {}),
        "params": kwargs.get("params") or None,
    }
    if "json" in kwargs:
        out["content"] = json.dumps(kwargs["json"]).encode()
        out["headers"].setdefault("Content-Type", "application/json")
    elif "data" in kwargs:
        data = kwargs["data"]
        if isinstance(data, str):
            data = data.encode()
        if isinstance(data, bytes):
            out["content"] = data
        else:
            out["data"] = data
    if "files" in kwargs:
        out["files"] = kwargs["files"]
    return out


@pytest.fixture(scope="module")
def fuzz_settings(settings):
    # Same data dir (same signing key) as the shared app; no rate limits so fuzzing reaches routes.
    return make_settings(
        settings.data_dir, rate_limit_chat_per_minute=0, rate_limit_credentials_per_minute=0
    )


@pytest.fixture(scope="module")
async def fuzz_app(fuzz_settings, database):
    application = create_app(fuzz_settings, database=database)
    async with application.router.lifespan_context(application):
        yield application


async def _fuzz(
    app: Any,
    fuzz_settings: Any,
    user: Any,
    mode: GenerationMode,
    statuses: dict[str, list[int]],
    real_ids: dict[str, str],
) -> list[Failure]:
    loop = asyncio.get_running_loop()
    tokens = hostile_tokens(fuzz_settings, user.id, user.email)
    schema = schemathesis.openapi.from_dict(app.openapi())
    operations = [result.ok() for result in schema.get_all_operations()]
    assert operations, "the OpenAPI schema lists no operations"
    failures: list[Failure] = []
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://testserver", timeout=30
    ) as http:

        async def send(request: dict[str, Any]) -> httpx.Response:
            return await http.request(**request)

        def run_operation(operation: Any) -> None:
            strategy = st.tuples(
                operation.as_strategy(generation_mode=mode),
                # half valid, so requests get past auth into the handlers
                st.just("valid") | st.sampled_from(sorted(tokens)),
                st.booleans(),
            )

            @hsettings(
                max_examples=EXAMPLES[mode],
                deadline=None,
                database=None,
                derandomize=True,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            @given(strategy)
            def one(example: tuple[Any, str, bool]) -> None:
                case, auth, use_real = example
                # half the time, aim at the user's own rows so the fuzz gets past the 404s
                if use_real and case.method.upper() != "DELETE" and case.path_parameters:
                    for name in set(case.path_parameters) & set(real_ids):
                        case.path_parameters[name] = real_ids[name]
                request = to_httpx(case.as_transport_kwargs())
                headers = request["headers"]
                if auth != "generated":
                    headers.pop("Authorization", None)
                    if tokens[auth] is not None:
                        headers["Authorization"] = tokens[auth]
                try:
                    httpx.Request(
                        request["method"], "http://testserver" + request["url"], headers=headers
                    )
                except (ValueError, TypeError, UnicodeEncodeError, httpx.InvalidURL):
                    return  # not representable on the wire: nothing to test
                response = asyncio.run_coroutine_threadsafe(send(request), loop).result(60)
                statuses.setdefault(operation.label, []).append(response.status_code)
                problem = check_response(response)
                if problem:
                    failures.append(
                        Failure(
                            operation.label,
                            auth,
                            response.status_code,
                            problem,
                            f"{request['method']} {request['url']} "
                            f"params={request['params']!r} "
                            f"body={request.get('content', b'')[:300]!r}",
                            response.text[:500],
                        )
                    )

            try:
                one()
            except Unsatisfiable:
                pass  # nothing in this operation can be made schema-violating (no parameters)

        for operation in operations:
            await asyncio.to_thread(run_operation, operation)
    return failures


async def _own_rows(app: Any, user: Any) -> dict[str, str]:
    """A chat session of the fuzz user, to use as a path parameter."""
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        chat = await http.post("/api/chat", json={"message": "I need GitHub"}, headers=user.headers)
    assert chat.status_code == 200, chat.text
    return {"session_id": str(chat.json()["session_id"])}


@pytest.mark.parametrize(
    "mode",
    [GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
    ids=["schema-valid", "schema-violating"],
)
async def test_every_endpoint_survives_fuzzing(fuzz_app, fuzz_settings, make_user, mode):
    user = await make_user()
    statuses: dict[str, list[int]] = {}
    real_ids = await _own_rows(fuzz_app, user)
    failures = await _fuzz(fuzz_app, fuzz_settings, user, mode, statuses, real_ids)
    unique = {(f.operation, f.status, f.problem): f for f in failures}
    assert not unique, "\n".join(str(f) for f in unique.values())
    if mode is GenerationMode.POSITIVE:
        # the fuzzer got past validation and auth somewhere, so handlers really ran
        assert any(200 <= code < 300 for codes in statuses.values() for code in codes), statuses
        assert len(statuses) >= len(fuzz_app.openapi()["paths"]), sorted(statuses)


async def test_unsupported_methods_get_json_405(fuzz_app):
    """Every documented path answers an undocumented method with 405 in the error shape."""
    spec = fuzz_app.openapi()
    transport = httpx.ASGITransport(app=fuzz_app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        for path, item in spec["paths"].items():
            allowed = {method.upper() for method in item}
            unused = [m for m in ("GET", "POST", "PUT", "PATCH", "DELETE") if m not in allowed]
            concrete = path.replace("{", "").replace("}", "")  # e.g. /api/sessions/session_id
            for method in unused[:2]:
                response = await http.request(method, concrete)
                assert response.status_code in (404, 405), (method, path, response.text)
                assert check_response(response) is None, (method, path, response.text)


async def test_malformed_json_bodies_get_422_json(fuzz_app, make_user):
    """Bodies that are not JSON at all, on every operation that takes one."""
    user = await make_user()
    spec = fuzz_app.openapi()
    bodies = [b"{", b"\xff\xfe\x00", b"null", b"[]", b'{"a":' * 200, b"NaN", b'"\\ud800"']
    transport = httpx.ASGITransport(app=fuzz_app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        for path, item in spec["paths"].items():
            for method, operation in item.items():
                if "requestBody" not in operation:
                    continue
                url = path.replace("{session_id}", str(uuid.uuid4()))
                url = url.replace("{", "").replace("}", "")
                for body in bodies:
                    response = await http.request(
                        method.upper(),
                        url,
                        content=body,
                        headers={**user.headers, "Content-Type": "application/json"},
                    )
                    assert response.status_code < 500, (method, path, body, response.text)
                    assert check_response(response) is None, (method, path, body, response.text)


# Values that broke the service before (issue 16) and their relatives: NUL bytes, integers past
# 64 bits, very deep nesting, very long strings, path tricks and template placeholders.
HOSTILE_STRINGS = [
    "\x00",
    "a\x00b",
    "%00",
    "x" * 30_000,
    "../../etc/passwd",
    "{{currentDate}}",
    "{{file:/etc/passwd}}",
    "' OR 1=1 --",
    "\u202e\ufeff\u200b",
    "🙂" * 2_000,
]
HOSTILE_NUMBERS = [2**63, -(2**63) - 1, 10**100, -1, 1e308]
DEEP = 5_000  # levels of nesting in a body (Python's JSON parser recurses)


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _plain(spec: dict[str, Any], schema: dict[str, Any]) -> Any:
    """A simple valid-looking value for a schema (enough to get past validation to a field)."""
    schema = _resolve(spec, schema)
    if "anyOf" in schema:
        return _plain(spec, schema["anyOf"][0])
    if examples := schema.get("examples"):
        return examples[0]
    kind = schema.get("type")
    if kind == "object":
        props = schema.get("properties", {})
        return {name: _plain(spec, props[name]) for name in schema.get("required", props)}
    if kind == "array":
        return [_plain(spec, schema.get("items", {}))]
    return {"integer": 1, "number": 1, "boolean": True}.get(kind or "", "fetch")


def _url(path: str, params: list[dict[str, Any]], real: dict[str, str], override=None) -> str:
    for p in (p for p in params if p["in"] == "path"):
        value = real.get(p["name"], str(uuid.uuid4()))
        if override and override[0] == p["name"]:
            value = override[1]
        path = path.replace("{" + p["name"] + "}", quote(value, safe=""))
    return path


def hostile_requests(spec: dict[str, Any], real: dict[str, str]) -> list[dict[str, Any]]:
    """One request per (operation, field, hostile value), as httpx.request arguments."""
    out: list[dict[str, Any]] = []
    strings_in_url = [s for s in HOSTILE_STRINGS if len(s) < 5_000] + ["x" * 4_000]
    for path, item in spec["paths"].items():
        for method, op in item.items():
            params = op.get("parameters", [])

            body_schema = (
                op.get("requestBody", {}).get("content", {}).get("application/json", {})
            ).get("schema")
            base = _plain(spec, body_schema) if body_schema else None
            raw = None if base is None else json.dumps(base).encode()
            req = {"method": method.upper()}

            def url(override: tuple[str, str] | None = None, path=path, params=params) -> str:
                return _url(path, params, real, override)

            for p in params:
                for value in [*strings_in_url, *map(str, HOSTILE_NUMBERS)]:
                    if p["in"] == "path":
                        out.append({**req, "url": url((p["name"], value)), "content": raw})
                    elif p["in"] == "query":
                        out.append(
                            {**req, "url": url(), "params": {p["name"]: value}, "content": raw}
                        )
            if body_schema is None:
                continue
            # built as text: the json module cannot encode (or decode) this depth
            deep = '{"a":[' * DEEP + '"x"' + "]}" * DEEP
            for whole in (deep, "18446744073709551616", "[]", json.dumps("x" * 30_000)):
                out.append({**req, "url": url(), "content": whole.encode()})
            fields = _resolve(spec, body_schema).get("properties", {})
            for name in fields:
                for value in [*HOSTILE_STRINGS, *HOSTILE_NUMBERS, {"a": "\x00"}, "__DEEP__"]:
                    text = json.dumps({**base, name: value}).replace('"__DEEP__"', deep)
                    out.append({**req, "url": url(), "content": text.encode()})
    return out


async def test_hostile_values_in_every_field_of_every_endpoint(fuzz_app, make_user):
    """NUL bytes, huge integers, deep nesting and long strings in every path parameter, query
    parameter and body field: never a 5xx, always the JSON error shape."""
    user = await make_user()
    real_ids = await _own_rows(fuzz_app, user)
    spec = fuzz_app.openapi()
    requests = hostile_requests(spec, real_ids)
    transport = httpx.ASGITransport(app=fuzz_app, raise_app_exceptions=False)
    statuses: dict[int, int] = {}
    failures = []
    async with httpx.AsyncClient(
        transport=transport, base_url="http://testserver", timeout=60
    ) as http:
        for request in requests:
            response = await http.request(
                **request, headers={**user.headers, "Content-Type": "application/json"}
            )
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
            problem = check_response(response)
            if problem:
                shown = (request["content"] or b"")[:200]
                failures.append(f"{request['method']} {request['url']} {shown!r}: {problem}")
    print(f"hostile values: {len(requests)} requests, statuses {sorted(statuses.items())}")
    assert not failures, "\n".join(sorted(set(failures))[:40])
    assert sum(n for code, n in statuses.items() if code >= 500) == 0
    assert sum(n for code, n in statuses.items() if code < 300) > 0  # some got through to work
