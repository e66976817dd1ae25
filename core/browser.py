"""The browser that agents' MCP servers drive: the host's Chromium, never one they download.

Puppeteer and Playwright fetch a browser of their own when installed or first used. Here that
fails (the registries are the only hosts reachable), and elsewhere it would run an unreviewed
binary. So every package install and every agent gets variables that skip those downloads and
point each driver at the operator's Chromium (``AGENT_BROWSER``, found on PATH by default).
The browser runs headless, inside its own sandbox unless it runs as root (a root service with
no bubblewrap user namespace), where Chromium refuses to start without ``--no-sandbox``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from core.config import Settings

# Installs and agents never download a browser, with or without one on this host.
SKIP_DOWNLOADS = {
    "PUPPETEER_SKIP_DOWNLOAD": "1",
    "PUPPETEER_SKIP_CHROMIUM_DOWNLOAD": "1",  # Puppeteer before v19
    "PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD": "1",
}
# Where ``auto`` looks, in order (Debian's and Ubuntu's package names, then Google's).
_CANDIDATES = ("chromium", "chromium-browser", "google-chrome-stable", "google-chrome")


def browser_path(settings: Settings) -> Path | None:
    """The Chromium agents drive, or None: ``AGENT_BROWSER`` off, or no browser here."""
    if settings.agent_browser == "off":
        return None
    if settings.agent_browser != "auto":
        path = Path(settings.agent_browser)
        return path if path.is_file() else None
    found = next(filter(None, map(shutil.which, _CANDIDATES)), None)
    return Path(found) if found else None


def browser_env(settings: Settings, *, as_root: bool) -> dict[str, str]:
    """The variables that skip browser downloads and point each browser driver at Chromium;
    ``as_root``: the servers run as uid 0, so Chromium must run without its own sandbox."""
    env = dict(SKIP_DOWNLOADS)
    path = browser_path(settings)
    if path is None:
        return env
    executable = str(path)
    env |= {
        "PUPPETEER_EXECUTABLE_PATH": executable,  # Puppeteer (server-puppeteer and others)
        "PLAYWRIGHT_MCP_EXECUTABLE_PATH": executable,  # @playwright/mcp
        "PLAYWRIGHT_MCP_BROWSER": "chromium",
        "PLAYWRIGHT_MCP_HEADLESS": "true",
        "CHROME_EXECUTABLE_PATH": executable,  # @executeautomation/playwright-mcp-server
        "CHROME_PATH": executable,  # chrome-launcher (Lighthouse) and others
    }
    # @playwright/mcp reads PLAYWRIGHT_MCP_SANDBOX (off by default on Linux); before 0.0.40 or
    # so, PLAYWRIGHT_MCP_NO_SANDBOX
    env["PLAYWRIGHT_MCP_SANDBOX"] = "false" if as_root else "true"
    if as_root:
        env["PLAYWRIGHT_MCP_NO_SANDBOX"] = "true"
    return env


def browser_warning(settings: Settings) -> str | None:
    """What to tell the operator when agents' browser servers will have no browser."""
    if settings.agent_browser == "off" or browser_path(settings) is not None:
        return None
    where = "on PATH" if settings.agent_browser == "auto" else f"at {settings.agent_browser}"
    return (
        f"browser servers (Playwright, Puppeteer) cannot open pages: no Chromium {where}"
        " (apt-get install chromium, or set AGENT_BROWSER)"
    )
