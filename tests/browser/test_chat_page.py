"""The web chat in a real browser against the real service (offline planner, embedded stack).

One workflow end to end: sign in locally, describe a workflow, see the servers found, fill the
credential form (the secret goes to the credentials endpoint, never into the chat), see the
generated config and download it, start the agent, message it, stop it, find the conversation
again after a reload. Screenshots land in tests/artifacts/.
"""

import json
from pathlib import Path
from typing import Any

from playwright.async_api import Browser, Page, Route, expect

TIMEOUT = 30_000
AGENT_TIMEOUT = 120_000
SECRET = "xoxb-1111-2222-BrowserTestSecretValue"  # noqa: S105 - a fake token
WORKFLOW = "Post a message to our Slack channel"
WIDER_THAN_VIEWPORT = """[...document.querySelectorAll('body *')]
  .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 0.5)
  .slice(0, 5).map((el) => el.tagName + '.' + el.className + ' ' + el.textContent.slice(0, 40))"""


async def _open(browser: Browser, live_server: str, width: int, height: int) -> Page:
    viewport = {"width": width, "height": height}
    context = await browser.new_context(viewport=viewport, base_url=live_server)
    page = await context.new_page()
    page.set_default_timeout(TIMEOUT)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.errors = errors  # type: ignore[attr-defined]
    await page.goto("/app/")
    return page


async def _sign_in_locally(page: Page, link: str, *, paste: bool = True) -> None:
    """Paste the operator's one-time link into the sign-in form, or open the link itself."""
    if paste:
        box = page.get_by_label("Sign-in link")
        await expect(box).to_be_visible()
        await expect(box).to_be_focused()  # keyboard users start right there
        await page.keyboard.type(link)
        await page.keyboard.press("Enter")
    else:
        await page.goto(link)
    await expect(page.get_by_label("Your message")).to_be_visible()
    await expect(page.get_by_role("button", name="Sign out")).to_be_visible()


async def _say(page: Page, text: str) -> None:
    box = page.get_by_label("Your message")
    await box.fill(text)
    await box.press("Enter")  # Enter sends
    await expect(page.locator("article.from-assistant").last).not_to_have_attribute(
        "aria-busy", "true", timeout=60_000
    )


async def test_workflow_to_running_agent(
    browser: Browser, live_server: str, artifacts: Path, sign_in_link: Any
) -> None:
    page = await _open(browser, live_server, 1280, 1000)
    chat_bodies: list[str] = []
    page.on(
        "request",
        lambda r: chat_bodies.append(r.post_data or "") if r.url.endswith("/api/chat") else None,
    )
    await _sign_in_locally(page, await sign_in_link())

    # describe a workflow: the search finds servers and asks for credentials in a form
    await _say(page, WORKFLOW)
    await expect(page.locator('.server-card[data-server="slack"]')).to_be_visible()
    form = page.locator('form.cred-form[data-server="slack"]')
    token = form.get_by_label("SLACK_BOT_TOKEN")
    await expect(token).to_have_attribute("type", "password")
    link = form.get_by_role("link", name="How to get it").first
    await expect(link).to_have_attribute("href", "https://api.slack.com/apps")
    await expect(link).to_have_attribute("rel", "noopener noreferrer")
    await page.screenshot(path=str(artifacts / "chat-credentials.png"))

    # a value that does not match the catalog's pattern is refused in words, before sending
    await token.fill("not-a-token")
    await form.get_by_label("SLACK_TEAM_ID").fill("T0123ABCD")
    await form.get_by_role("button", name="Save credentials for Slack").click()
    await expect(form.get_by_role("status")).to_contain_text("does not look right")

    await token.fill(SECRET)
    await form.get_by_role("button", name="Save credentials for Slack").click()
    await expect(form.get_by_role("status")).to_contain_text("All set")
    await expect(token).to_have_value("")  # no secret left in the page
    await page.get_by_text("Stored credentials").click()
    stored = page.locator("#vault-list li", has_text="SLACK_BOT_TOKEN")
    await expect(stored).to_contain_text("…" + SECRET[-4:])

    # continue: the assistant builds the agent; the panel shows the config with downloads
    await page.get_by_role("button", name="Continue: build my agent").click()
    panel = page.locator("#agent-panel")
    await expect(panel).to_be_visible(timeout=60_000)
    await expect(page.locator("#agent-name")).not_to_be_empty()
    files = page.locator(".config-file summary")
    await expect(files.first).to_be_visible()
    assert "slack" in (await page.locator(".config-file pre").first.inner_text()).lower()
    async with page.expect_download() as download_info:
        await page.locator(".config-file").first.get_by_role("button").click()
    download = await download_info.value
    assert download.suggested_filename.endswith((".yaml", ".yml", ".md"))
    await page.screenshot(path=str(artifacts / "chat-config.png"))

    # the secret never travelled through the chat, and the page does not show it anywhere
    assert chat_bodies and not any(SECRET in body for body in chat_bodies)
    assert SECRET not in await page.locator("body").inner_text()

    # start the agent, talk to it, stop it
    await page.get_by_role("button", name="Start agent").click()
    status = page.locator("#agent-status")
    await expect(status).not_to_have_text("starting…", timeout=AGENT_TIMEOUT)
    if (await status.inner_text()) != "running":
        problem = await page.locator("#agent-error").inner_text()
        raise AssertionError(f"the agent did not start; the page says: {problem!r}")
    await page.get_by_label("Message for the running agent").fill("hello agent")
    await page.get_by_role("button", name="Send to agent").click()
    await expect(page.locator(".agent-msg.from-agent")).to_contain_text(
        "hello agent", timeout=AGENT_TIMEOUT
    )
    await page.evaluate("window.scrollTo(0, 0)")
    await page.screenshot(path=str(artifacts / "chat-agent-running.png"))
    await page.get_by_role("button", name="Stop agent").click()
    await expect(status).to_have_text("stopped", timeout=AGENT_TIMEOUT)

    # after a reload the session is kept and the conversation can be reopened
    await page.reload()
    conversation = page.locator(".session-btn", has_text=WORKFLOW).first
    await expect(conversation).to_be_visible()
    await conversation.click()
    await expect(page.locator("article.from-user").first).to_contain_text(WORKFLOW)
    await expect(page.locator("#agent-panel")).to_be_visible()

    # and deleted, after confirming
    page.once("dialog", lambda dialog: dialog.accept())
    count = await page.locator(".session-btn").count()
    await page.get_by_role("button", name=f"Delete conversation: {WORKFLOW}").first.click()
    await expect(page.locator(".session-btn")).to_have_count(count - 1)
    await expect(page.locator("#agent-panel")).to_be_hidden()
    assert page.errors == []  # type: ignore[attr-defined]
    await page.context.close()


async def test_phone_width(
    browser: Browser, live_server: str, artifacts: Path, sign_in_link: Any
) -> None:
    page = await _open(browser, live_server, 390, 844)
    await _sign_in_locally(page, await sign_in_link(), paste=False)  # the link opened as is
    assert "sign-in" not in page.url  # a spent link leaves no trace in the address bar
    await _say(page, WORKFLOW)
    await expect(page.locator(".server-card").first).to_be_visible()
    width = await page.evaluate("document.documentElement.scrollWidth")
    wide = await page.evaluate(WIDER_THAN_VIEWPORT)
    assert width <= 390, f"the page scrolls sideways at phone width ({width}px): {wide}"
    await page.screenshot(path=str(artifacts / "chat-phone-390.png"), full_page=True)
    await page.context.close()


async def test_history_pages(browser: Browser, live_server: str, sign_in_link: Any) -> None:
    page = await _open(browser, live_server, 1024, 768)
    pages = {
        None: {"items": [_session("s1", "First conversation")], "next_cursor": "c2"},
        "c2": {"items": [_session("s2", "Older conversation")], "next_cursor": None},
    }
    seen: list[str | None] = []

    async def history(route: Route) -> None:
        cursor = dict(_query(route.request.url)).get("cursor")
        seen.append(cursor)
        await route.fulfill(
            status=200, content_type="application/json", body=json.dumps(pages[cursor])
        )

    await page.route("**/api/chat/history*", history)
    await _sign_in_locally(page, await sign_in_link())
    await expect(page.locator(".session-btn")).to_have_count(1)
    await page.get_by_role("button", name="Load older conversations").click()
    await expect(page.locator(".session-btn")).to_have_count(2)
    await expect(page.get_by_role("button", name="Load older conversations")).to_be_hidden()
    assert seen == [None, "c2"]

    # a conversation's messages page forward, oldest first
    messages = {
        None: {"items": [_message(1, "user", "first question")], "next_cursor": "m2"},
        "m2": {
            "items": [_message(2, "assistant", [{"type": "text", "text": "second answer"}])],
            "next_cursor": None,
        },
    }

    async def session_messages(route: Route) -> None:
        cursor = dict(_query(route.request.url)).get("cursor")
        await route.fulfill(
            status=200, content_type="application/json", body=json.dumps(messages[cursor])
        )

    async def no_agents(route: Route) -> None:
        await route.fulfill(status=200, content_type="application/json", body='{"items": []}')

    await page.route("**/api/sessions/s1/messages*", session_messages)
    await page.route("**/api/agents", no_agents)
    await page.locator(".session-btn", has_text="First conversation").click()
    await expect(page.locator("article.bubble")).to_have_count(1)
    await page.get_by_role("button", name="Load more messages").click()
    await expect(page.locator("article.bubble")).to_have_count(2)
    await expect(page.locator("article.bubble").last).to_contain_text("second answer")
    await expect(page.get_by_role("button", name="Load more messages")).to_be_hidden()
    await page.context.close()


async def test_errors_are_shown_in_words(
    browser: Browser, live_server: str, sign_in_link: Any
) -> None:
    page = await _open(browser, live_server, 1024, 768)
    await _sign_in_locally(page, await sign_in_link())

    async def too_many(route: Route) -> None:
        await route.fulfill(
            status=429,
            headers={"Retry-After": "12", "Content-Type": "application/json"},
            body='{"error": {"code": "rate_limited", "message": "Slow down.", "details": null}}',
        )

    await page.route("**/api/chat", too_many)
    await page.get_by_label("Your message").fill("hello")
    await page.get_by_role("button", name="Send").click()
    await expect(page.get_by_role("alert")).to_contain_text("wait 12 seconds")
    await page.context.close()


async def test_google_sign_in_returns_with_a_supabase_session(
    browser: Browser, live_server: str
) -> None:
    """The redirect back from Google: supabase-js exchanges the PKCE code, the page then calls
    the API with the Supabase access token. (This server runs locally, so its own CSP does not
    list the fake Supabase origin: CSP is bypassed here and covered by test_web.py.)"""
    supabase = "https://project.supabase.test"
    access = _fake_jwt({"sub": "7d0c4d8e-0000-4000-8000-000000000001", "exp": 4_102_444_800})
    context = await browser.new_context(base_url=live_server, bypass_csp=True)
    page = await context.new_page()
    page.set_default_timeout(TIMEOUT)
    config = {"mode": "supabase", "supabase_url": supabase, "supabase_anon_key": "anon-key"}
    bearer: list[str | None] = []

    async def fulfill_json(route: Route, body: object) -> None:
        await route.fulfill(status=200, content_type="application/json", body=json.dumps(body))

    async def supabase_routes(route: Route) -> None:
        url = route.request.url
        if "/auth/v1/authorize" in url:  # Google consent happens here; come straight back
            await route.fulfill(status=302, headers={"Location": f"{live_server}/app/?code=c0de"})
        elif "/auth/v1/token" in url:
            assert json.loads(route.request.post_data or "{}").get("code_verifier")
            await fulfill_json(
                route,
                {
                    "access_token": access,
                    "token_type": "bearer",
                    "expires_in": 3600,
                    "expires_at": 4_102_444_800,
                    "refresh_token": "r1",
                    "user": {
                        "id": "7d0c4d8e-0000-4000-8000-000000000001",
                        "aud": "authenticated",
                        "email": "ada@example.com",
                        "app_metadata": {},
                        "user_metadata": {},
                        "created_at": "2026-01-01T00:00:00Z",
                    },
                },
            )
        else:
            await fulfill_json(route, {})

    async def me(route: Route) -> None:
        bearer.append(route.request.headers.get("authorization"))
        await fulfill_json(
            route,
            {
                "id": "7d0c4d8e-0000-4000-8000-000000000001",
                "email": "ada@example.com",
                "name": "Ada",
                "avatar_url": None,
            },
        )

    async def history(route: Route) -> None:
        await fulfill_json(route, {"items": [], "next_cursor": None})

    await page.route("**/api/auth/config", lambda route: fulfill_json(route, config))
    await page.route("**/api/me", me)
    await page.route("**/api/chat/history*", history)
    await page.route(f"{supabase}/**", supabase_routes)
    await page.goto("/app/")
    await page.get_by_role("button", name="Sign in with Google").click()
    await expect(page.locator("#account-name")).to_have_text("Ada")
    assert bearer and bearer[-1] == f"Bearer {access}"
    assert "code=" not in page.url  # supabase-js cleans the URL after the exchange
    await context.close()


def _fake_jwt(claims: dict[str, object]) -> str:
    import base64

    def part(value: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'ES256', 'typ': 'JWT'})}.{part(claims)}.c2lnbmF0dXJl"


def _session(session_id: str, title: str) -> dict[str, object]:
    when = "2026-01-01T00:00:00+00:00"
    return {
        "id": session_id,
        "title": title,
        "created_at": when,
        "updated_at": when,
        "last_message": None,
    }


def _message(message_id: int, role: str, content: object) -> dict[str, object]:
    return {
        "id": message_id,
        "role": role,
        "content": content,
        "created_at": "2026-01-01T00:00:00+00:00",
    }


def _query(url: str) -> list[tuple[str, str]]:
    from urllib.parse import parse_qsl, urlsplit

    return parse_qsl(urlsplit(url).query)


async def test_google_sign_in_goes_through_supabase(browser: Browser, live_server: str) -> None:
    """With Supabase configured the page offers Google, via the vendored supabase-js."""
    supabase = "https://project.supabase.test"
    context = await browser.new_context(base_url=live_server)
    page = await context.new_page()
    page.set_default_timeout(TIMEOUT)
    config = {"mode": "supabase", "supabase_url": supabase, "supabase_anon_key": "anon-key"}

    async def auth_config(route: Route) -> None:
        await route.fulfill(status=200, content_type="application/json", body=json.dumps(config))

    authorize: list[str] = []

    async def supabase_authorize(route: Route) -> None:
        authorize.append(route.request.url)
        await route.fulfill(status=200, content_type="text/html", body="<p>Google sign-in</p>")

    await page.route("**/api/auth/config", auth_config)
    await page.route(f"{supabase}/**", supabase_authorize)
    await page.goto("/app/")
    await expect(page.get_by_role("button", name="Continue locally")).to_be_hidden()
    google = page.get_by_role("button", name="Sign in with Google")
    await expect(google).to_be_focused()
    await page.keyboard.press("Enter")
    await page.wait_for_url(f"{supabase}/**")
    params = dict(_query(authorize[0]))
    assert authorize[0].startswith(f"{supabase}/auth/v1/authorize")
    assert params["provider"] == "google"
    assert params["redirect_to"] == f"{live_server}/app/"
    assert params.get("code_challenge")  # PKCE
    await context.close()
