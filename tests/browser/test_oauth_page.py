"""The page's "Connect" flow in Chromium against the loopback OAuth provider.

The service runs as a subprocess with an operator catalog folder (CATALOG_DIRS) holding the
provider's MCP server; a click on "Connect Fake Issues" opens a tab that goes through our start
page, the provider's authorization page and our callback; the chat tab then continues by itself
("Fake Issues is connected."), builds the agent, and the agent starts with the server's tools.
"""

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, expect

from tests.browser.conftest import run_service
from tests.browser.test_chat_page import AGENT_TIMEOUT, TIMEOUT, _say, _sign_in_locally
from tests.fakes.oauth_provider import FakeOAuthProvider
from tests.oauth_helpers import write_catalog_dir


@pytest.fixture(scope="module")
def oauth_service(tmp_path_factory: pytest.TempPathFactory, artifacts: Path) -> Iterator[tuple]:
    provider = FakeOAuthProvider().start()  # CIMD: it fetches our metadata document over HTTP
    folder = write_catalog_dir(tmp_path_factory.mktemp("oauth-catalog"), provider)
    workdir = tmp_path_factory.mktemp("oauth-service")
    try:
        with run_service(workdir, artifacts, {"CATALOG_DIRS": str(folder)}, "oauth") as service:
            yield service, provider
    finally:
        provider.stop()


async def test_connect_button_completes_the_flow(
    browser: Browser, oauth_service: tuple, artifacts: Path
) -> None:
    service, provider = oauth_service
    context = await browser.new_context(
        viewport={"width": 1280, "height": 1000}, base_url=service.base_url
    )
    page = await context.new_page()
    page.set_default_timeout(TIMEOUT)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    await page.goto("/app/")
    await _sign_in_locally(page, await service.sign_in_link())

    await _say(page, "Create issues in my Fake Issues tracker")
    connect = page.get_by_role("link", name="Connect Fake Issues")
    await expect(connect).to_be_visible()
    await page.screenshot(path=str(artifacts / "chat-oauth-connect.png"))

    async with context.expect_page() as opened:
        await connect.click()
    tab = await opened.value
    await expect(tab.locator("h1")).to_have_text("Fake Issues is connected", timeout=TIMEOUT)
    assert "cimd" in provider.events and "token" in provider.events

    # the chat continues on its own, and the assistant builds the agent
    await expect(page.locator("article.from-user").last).to_contain_text(
        "Fake Issues is connected."
    )
    await expect(page.locator("#agent-panel")).to_be_visible(timeout=60_000)
    await expect(page.locator('.oauth-card[data-server="fake-issues"]').first).to_contain_text(
        "is connected"
    )

    await page.get_by_role("button", name="Start agent").click()
    status = page.locator("#agent-status")
    await expect(status).not_to_have_text("starting…", timeout=AGENT_TIMEOUT)
    if (await status.inner_text()) != "running":
        problem = await page.locator("#agent-error").inner_text()
        raise AssertionError(f"the agent did not start; the page says: {problem!r}")
    await expect(page.locator("#agent-panel")).to_contain_text("create_issue")
    await page.screenshot(path=str(artifacts / "chat-oauth-agent.png"))
    await page.get_by_role("button", name="Stop agent").click()
    await expect(status).to_have_text("stopped", timeout=AGENT_TIMEOUT)
    assert not errors, errors
    await context.close()
