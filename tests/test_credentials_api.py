"""Credentials over HTTP and SQL: storage, listing, deletion, validation, RLS, tools, pastes."""

import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
import pytest_asyncio

from credentials import service
from tests.catalog_helpers import install_servers
from tests.tool_helpers import model_sees_error
from tools.credentials import request_credentials, save_credential
from tools.registry import ToolContext

GITHUB = "credtest-github"
SLACK = "credtest-slack"
GH_TOKEN = "ghp_" + "Zq8Lm3Np7Rt2" * 3  # 40 characters
SLACK_TOKEN = "xoxb-1111111111-2222222222222-AbCdEfGhIjKlMnOpQrStUvWx"  # noqa: S105
TEMPLATES: dict[str, dict[str, Any]] = {
    GITHUB: {
        "name": "GitHub (test)",
        "credentials": [
            {
                "name": "GITHUB_TOKEN",
                "description": "A GitHub personal access token.",
                "secret": True,
                "required": True,
                "kind": "env",
                "obtain_url": "https://github.com/settings/personal-access-tokens/new",
                "pattern": "^(ghp_|github_pat_)[A-Za-z0-9_]+$",
                "example": "ghp_0123456789abcdefABCDEF0123456789abcd",
            }
        ],
    },
    SLACK: {
        "name": "Slack (test)",
        "credentials": [
            {
                "name": "SLACK_BOT_TOKEN",
                "description": "Bot token of your Slack app.",
                "secret": True,
                "required": True,
                "pattern": "^xoxb-[0-9A-Za-z-]+$",
                "obtain_url": "https://api.slack.com/apps",
                "example": "xoxb-123-456-abc",
            },
            {
                "name": "SLACK_TEAM_ID",
                "description": "Workspace id.",
                "secret": False,
                "required": True,
                "pattern": "^T[A-Z0-9]+$",
                "example": "T01234567",
            },
            {
                "name": "SLACK_CHANNEL",
                "description": "Default channel.",
                "secret": False,
                "required": False,
            },
        ],
    },
}


async def _install_templates(conn: asyncpg.Connection) -> None:
    """Put the test servers in the catalog."""
    await install_servers(
        conn,
        *(
            {"slug": slug, "name": t["name"], "launch": {"command": "true"}, **t}
            for slug, t in TEMPLATES.items()
        ),
    )


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def catalog(database) -> AsyncIterator[None]:
    """The test servers, live for this module only (so other tests' searches never see them)."""
    async with database.service() as conn:
        await _install_templates(conn)
    yield
    async with database.service() as conn:
        await conn.execute(
            "update mcp_servers set retired_at = now() where slug = any($1::text[])",
            list(TEMPLATES),
        )


@pytest.fixture
async def alice(make_user, catalog):
    return await make_user()


@pytest.fixture
async def bob(make_user, catalog):
    return await make_user()


async def new_session(database, user) -> str:
    async with database.as_user(user.claims) as conn:
        return str(
            await conn.fetchval(
                "insert into sessions (user_id, title) values ($1, 'cred test') returning id",
                uuid.UUID(user.id),
            )
        )


async def post_values(client, user, session_id: str, server: str, values: dict[str, Any]):
    return await client.post(
        f"/api/sessions/{session_id}/credentials",
        json={"server": server, "values": values},
        headers=user.headers,
    )


async def stored_names(database, user) -> list[tuple[str, str]]:
    async with database.service() as conn:
        rows = await conn.fetch(
            "select server_slug, env_name from user_credentials where user_id = $1 order by 1, 2",
            uuid.UUID(user.id),
        )
    return [(r[0], r[1]) for r in rows]


# --- the HTTP API ------------------------------------------------------------------------------


async def test_store_list_delete(client, database, alice) -> None:
    session_id = await new_session(database, alice)
    response = await post_values(client, alice, session_id, SLACK, {"SLACK_BOT_TOKEN": SLACK_TOKEN})
    assert response.status_code == 200, response.text
    assert response.json() == {
        "server": SLACK,
        "stored": ["SLACK_BOT_TOKEN"],
        "missing": ["SLACK_TEAM_ID"],
        "complete": False,
    }
    assert SLACK_TOKEN not in response.text

    response = await post_values(client, alice, session_id, SLACK, {"SLACK_TEAM_ID": " T0ABC "})
    assert response.json()["complete"] is True and response.json()["missing"] == []

    # ciphertext only, in the database
    async with database.service() as conn:
        rows = await conn.fetch(
            "select * from user_credentials where user_id = $1", uuid.UUID(alice.id)
        )
    assert all(SLACK_TOKEN.encode() not in bytes(r["ciphertext"]) for r in rows)
    assert SLACK_TOKEN not in repr([dict(r) for r in rows])

    listing = await client.get("/api/credentials", headers=alice.headers)
    assert listing.status_code == 200
    items = {i["name"]: i for i in listing.json()["items"]}
    assert set(items) == {"SLACK_BOT_TOKEN", "SLACK_TEAM_ID"}
    assert items["SLACK_BOT_TOKEN"]["last4"] == SLACK_TOKEN[-4:]
    assert items["SLACK_TEAM_ID"]["last4"] is None  # too short to show any of it
    assert set(items["SLACK_TEAM_ID"]) == {"server", "name", "last4", "created_at", "updated_at"}
    assert SLACK_TOKEN not in listing.text

    deleted = await client.delete(
        f"/api/credentials/{SLACK}/SLACK_BOT_TOKEN", headers=alice.headers
    )
    assert deleted.status_code == 204
    again = await client.delete(f"/api/credentials/{SLACK}/SLACK_BOT_TOKEN", headers=alice.headers)
    assert again.status_code == 404
    assert await stored_names(database, alice) == [(SLACK, "SLACK_TEAM_ID")]


async def test_overwrite_keeps_one_row(client, database, alice) -> None:
    session_id = await new_session(database, alice)
    for token in (GH_TOKEN, GH_TOKEN[:-1] + "X"):
        assert (
            await post_values(client, alice, session_id, GITHUB, {"GITHUB_TOKEN": token})
        ).status_code == 200
    async with database.as_user(alice.claims) as conn:
        secrets = await service.load_user_secrets(conn, alice.id, [GITHUB])
    assert secrets == {GITHUB: {"GITHUB_TOKEN": GH_TOKEN[:-1] + "X"}}


@pytest.mark.parametrize(
    ("server", "values", "field"),
    [
        ("no-such-server", {"GITHUB_TOKEN": GH_TOKEN}, "server"),
        (GITHUB, {"NOT_A_CREDENTIAL": GH_TOKEN}, "values.NOT_A_CREDENTIAL"),
        (GITHUB, {"GITHUB_TOKEN": "not-a-github-token"}, "values.GITHUB_TOKEN"),
        (GITHUB, {"GITHUB_TOKEN": ""}, "values.GITHUB_TOKEN"),
        (GITHUB, {"GITHUB_TOKEN": "   "}, "values.GITHUB_TOKEN"),
        (GITHUB, {"GITHUB_TOKEN": "ghp_" + "a" * 20_000}, "values.GITHUB_TOKEN"),
        (GITHUB, {"GITHUB_TOKEN": 12345678901234}, "values.GITHUB_TOKEN"),
        (GITHUB, {}, "values"),
        (GITHUB, {GH_TOKEN: "x"}, "values"),  # a token pasted as a name is not echoed
        # one bad value rejects the whole request: the good one is not stored either
        (
            SLACK,
            {"SLACK_BOT_TOKEN": SLACK_TOKEN, "SLACK_TEAM_ID": "lowercase"},
            "values.SLACK_TEAM_ID",
        ),
    ],
)
async def test_bad_input_is_a_422_naming_the_field(
    client, database, alice, server, values, field
) -> None:
    session_id = await new_session(database, alice)
    response = await post_values(client, alice, session_id, server, values)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["details"]["field"] == field
    assert field.split(".")[-1] in error["message"] or field == "values"
    for value in [*values.values(), *values]:
        if isinstance(value, str) and len(value) > 3 and value != field.split(".")[-1]:
            assert value.strip() not in response.text
    assert await stored_names(database, alice) == []


async def test_request_validation_does_not_echo_values(client, database, alice) -> None:
    session_id = await new_session(database, alice)
    response = await client.post(
        f"/api/sessions/{session_id}/credentials",
        json={"server": GITHUB, "values": GH_TOKEN},
        headers=alice.headers,
    )
    assert response.status_code == 422
    assert GH_TOKEN not in response.text


async def test_session_of_someone_else_is_404(client, database, alice, bob) -> None:
    alice_session = await new_session(database, alice)
    for session_id in (alice_session, str(uuid.uuid4()), "not-a-uuid"):
        response = await post_values(client, bob, session_id, GITHUB, {"GITHUB_TOKEN": GH_TOKEN})
        assert response.status_code == 404
    assert await stored_names(database, bob) == []
    assert (await client.get("/api/credentials")).status_code == 401


# --- RLS: user B against A's credentials -------------------------------------------------------


async def test_other_user_cannot_read_overwrite_or_delete_via_api(
    client, database, alice, bob
) -> None:
    alice_session, bob_session = (
        await new_session(database, alice),
        await new_session(database, bob),
    )
    assert (
        await post_values(client, alice, alice_session, GITHUB, {"GITHUB_TOKEN": GH_TOKEN})
    ).status_code == 200

    assert (await client.get("/api/credentials", headers=bob.headers)).json() == {"items": []}
    assert (
        await client.delete(f"/api/credentials/{GITHUB}/GITHUB_TOKEN", headers=bob.headers)
    ).status_code == 404
    other = "ghp_" + "B" * 36
    assert (
        await post_values(client, bob, bob_session, GITHUB, {"GITHUB_TOKEN": other})
    ).status_code == 200

    async with database.as_user(alice.claims) as conn:
        assert await service.load_user_secrets(conn, alice.id, [GITHUB]) == {
            GITHUB: {"GITHUB_TOKEN": GH_TOKEN}
        }
    async with database.as_user(bob.claims) as conn:
        # even asking for Alice's id, Bob's connection only sees Bob's rows
        assert await service.load_user_secrets(conn, alice.id, [GITHUB]) == {GITHUB: {}}


async def test_other_user_cannot_touch_rows_as_authenticated(client, database, alice, bob) -> None:
    session_id = await new_session(database, alice)
    await post_values(client, alice, session_id, GITHUB, {"GITHUB_TOKEN": GH_TOKEN})
    alice_id = uuid.UUID(alice.id)
    async with database.as_user(bob.claims) as conn:
        assert await conn.fetch("select * from user_credentials where user_id = $1", alice_id) == []
        assert (
            await conn.execute(
                "update user_credentials set ciphertext = '\\x00' where user_id = $1", alice_id
            )
            == "UPDATE 0"
        )
        assert (
            await conn.execute("delete from user_credentials where user_id = $1", alice_id)
            == "DELETE 0"
        )
        assert await conn.fetch("select * from pending_secrets where user_id = $1", alice_id) == []
    with pytest.raises(asyncpg.exceptions.InsufficientPrivilegeError):
        async with database.as_user(bob.claims) as conn:
            await conn.execute(
                "insert into user_credentials (user_id, server_slug, env_name, ciphertext, nonce,"
                " key_id) values ($1, $2, 'GITHUB_TOKEN', '\\x00', '\\x00', 'k')",
                alice_id,
                GITHUB,
            )
    with pytest.raises(asyncpg.exceptions.InsufficientPrivilegeError):
        async with database.as_user(bob.claims) as conn:  # Bob's row in Alice's session
            await conn.execute(
                "insert into pending_secrets (session_id, ref, user_id, ciphertext, nonce, key_id)"
                " values ($1, 1, $2, '\\x00', '\\x00', 'k')",
                uuid.UUID(session_id),
                uuid.UUID(bob.id),
            )
    assert await stored_names(database, alice) == [(GITHUB, "GITHUB_TOKEN")]


# --- service functions other domains call --------------------------------------------------------


async def test_missing_credentials_and_load_user_secrets(database, settings, alice) -> None:
    async with database.as_user(alice.claims) as conn:
        missing = await service.missing_credentials(conn, alice.id, [GITHUB, SLACK])
        assert [str(m) for m in missing] == [
            f"{GITHUB}: GITHUB_TOKEN",
            f"{SLACK}: SLACK_BOT_TOKEN",
            f"{SLACK}: SLACK_TEAM_ID",
        ]
        assert "https://github.com/settings/personal-access-tokens/new" in missing[0].instruction
        await service.store_credentials(
            conn, settings, alice.id, GITHUB, {"GITHUB_TOKEN": GH_TOKEN}
        )
        assert [m.name for m in await service.missing_credentials(conn, alice.id, [GITHUB])] == []
        assert await service.load_user_secrets(conn, alice.id, [GITHUB, SLACK]) == {
            GITHUB: {"GITHUB_TOKEN": GH_TOKEN},
            SLACK: {},
        }
        with pytest.raises(service.UnknownServerError):
            await service.missing_credentials(conn, alice.id, ["no-such-server"])


# --- tools and secrets pasted into chat ----------------------------------------------------------


def tool_context(database, settings, user, session_id: str, events: list) -> ToolContext:
    return ToolContext(
        user=user, session_id=session_id, db=database, settings=settings, emit=events.append
    )


async def test_request_credentials_tool(database, settings, alice) -> None:
    session_id = await new_session(database, alice)
    async with database.as_user(alice.claims) as conn:
        await service.store_credentials(conn, settings, alice.id, SLACK, {"SLACK_TEAM_ID": "T0ABC"})
    events: list[dict] = []
    ctx = tool_context(database, settings, alice, session_id, events)
    result = await request_credentials(ctx, [GITHUB, SLACK])

    assert result["complete"] is False
    github, slack = result["servers"]
    assert github["items"][0]["status"] == "missing"
    assert "github.com/settings" in github["items"][0]["instruction"]
    assert {i["name"]: i["status"] for i in slack["items"]} == {
        "SLACK_BOT_TOKEN": "missing",
        "SLACK_TEAM_ID": "provided",
        "SLACK_CHANNEL": "missing",
    }
    assert "T0ABC" not in json.dumps(result)

    (event,) = events
    assert event["type"] == "credentials_requested"
    ui_slack = event["servers"][1]
    assert ui_slack["server"] == SLACK and ui_slack["complete"] is False
    assert set(ui_slack["items"][0]) == {
        "name",
        "description",
        "secret",
        "required",
        "obtain_url",
        "example",
        "pattern",
        "path",
        "provided",
    }
    assert "T0ABC" not in json.dumps(events)

    async with database.as_user(alice.claims) as conn:
        context = json.loads(
            json.dumps(
                await conn.fetchval(
                    "select context from sessions where id = $1", uuid.UUID(session_id)
                )
            )
        )
    assert context["credentials_request"]["servers"] == [GITHUB, SLACK]

    error = await model_sees_error(ctx, "request_credentials", servers=["no-such-server"])
    assert "no-such-server" in error


async def test_pasted_secret_is_redacted_and_saved_by_reference(database, settings, alice) -> None:
    session_id = await new_session(database, alice)
    events: list[dict] = []
    ctx = tool_context(database, settings, alice, session_id, events)
    await request_credentials(ctx, [GITHUB, SLACK])

    message = f"my token: {GH_TOKEN} and SLACK_TEAM_ID=T0XYZ123, channel general"
    async with database.as_user(alice.claims) as conn:
        redacted = await service.redact_incoming_message(conn, alice.id, session_id, message)
    assert redacted == "my token: [secret:1] and SLACK_TEAM_ID=[secret:2], channel general"
    async with database.service() as conn:
        dump = await conn.fetch(
            "select * from pending_secrets where session_id = $1", uuid.UUID(session_id)
        )
    assert len(dump) == 2 and GH_TOKEN.encode() not in b"".join(
        bytes(r["ciphertext"]) for r in dump
    )

    # the same token again keeps its reference; a new one gets the next number
    async with database.as_user(alice.claims) as conn:
        again = await service.redact_incoming_message(
            conn, alice.id, session_id, f"again {GH_TOKEN} and {SLACK_TOKEN}"
        )
    assert again == "again [secret:1] and [secret:3]"

    result = await save_credential(ctx, GITHUB, "GITHUB_TOKEN", "[secret:1]")
    assert result["stored"] == ["GITHUB_TOKEN"] and result["complete"] is True
    assert GH_TOKEN not in json.dumps(result)
    save = "save_credential"
    assert "secret_ref" in await model_sees_error(
        ctx, save, server=GITHUB, name="GITHUB_TOKEN", secret_ref="[secret:9]"
    )
    assert "SLACK_BOT_TOKEN" in await model_sees_error(  # a GitHub token is not a bot token
        ctx, save, server=SLACK, name="SLACK_BOT_TOKEN", secret_ref="[secret:1]"
    )
    async with database.as_user(alice.claims) as conn:
        assert await service.load_user_secrets(conn, alice.id, [GITHUB]) == {
            GITHUB: {"GITHUB_TOKEN": GH_TOKEN}
        }


async def test_references_are_private_to_their_owner(database, settings, alice, bob) -> None:
    session_id = await new_session(database, alice)
    async with database.as_user(alice.claims) as conn:
        assert (
            await service.redact_incoming_message(conn, alice.id, session_id, f"t {GH_TOKEN}")
            == "t [secret:1]"
        )
    ctx = tool_context(database, settings, bob, session_id, [])
    error = await model_sees_error(
        ctx, "save_credential", server=GITHUB, name="GITHUB_TOKEN", secret_ref="[secret:1]"
    )
    assert "no [secret:1]" in error
    # in a session that is not the caller's, secrets are masked and nothing is kept
    async with database.as_user(bob.claims) as conn:
        assert (
            await service.redact_incoming_message(conn, bob.id, session_id, f"t {GH_TOKEN}")
            == "t [redacted]"
        )
