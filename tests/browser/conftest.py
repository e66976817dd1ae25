"""The real service in a subprocess (embedded stack, offline planner) and a headless Chromium.

Chromium is Debian's package (``apt-get install -y chromium``), never a Playwright download.
A missing browser is a test failure, not a skip: CI must install it.
"""

import asyncio
import contextlib
import os
import re
import subprocess
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import pytest_asyncio

from tests.net import free_port, wait_until_ok

os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Everything a developer's shell might point elsewhere: the service must run the embedded stack.
_SCRUBBED = (
    "DATABASE_URL",
    "ANTHROPIC_API_KEY",
    "OPENAI_API_KEY",
    "SUPABASE_URL",
    "SUPABASE_ANON_KEY",
    "SUPABASE_JWT_SECRET",
    "CREDENTIALS_KEY",
    "CORS_ORIGINS",
)


def require_chromium(path: Path) -> None:
    """Fail (never skip) when the system Chromium is missing: CI must install it."""
    if not path.exists():
        pytest.fail(
            f"Chromium is not installed at {path}. Install Debian's package first: "
            "`apt-get update && apt-get install -y chromium` (./dev setup does this). "
            "Playwright must not download its own browser.",
            pytrace=False,
        )


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


LINK = re.compile(r"http://\S+/app/#sign-in=[A-Za-z0-9_-]+")


@dataclass
class LiveService:
    base_url: str
    env: dict[str, str]
    workdir: Path
    log: Path
    printed_link_taken: bool = False

    async def sign_in_link(self) -> str:
        """A fresh one-time sign-in link, got as the operator gets one: first the link the
        service printed at start, then each from ``dynamic-mcp sign-in-link``."""
        if not self.printed_link_taken:
            self.printed_link_taken = True
            found = LINK.search(self.log.read_text())
            assert found, f"no sign-in link printed at start:\n{self.log.read_text()[-3000:]}"
            return found.group(0)
        proc = await asyncio.create_subprocess_exec(
            *(sys.executable, "-m", "dynamic_mcp.cli", "sign-in-link"),
            cwd=self.workdir,
            env=self.env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(proc.communicate(), timeout=120)
        assert proc.returncode == 0, err.decode()[-3000:]
        found = LINK.search(out.decode())
        assert found, out
        return found.group(0)


@pytest.fixture(scope="session")
def live_server(live_service: LiveService) -> str:
    """``http://127.0.0.1:<port>`` of the service started as the Dockerfile starts it."""
    return live_service.base_url


@pytest.fixture
def sign_in_link(live_service: LiveService) -> Callable[[], Awaitable[str]]:
    """``await sign_in_link()``: a new one-time link to the live service."""
    return live_service.sign_in_link


@pytest.fixture(scope="session")
def live_service(
    tmp_path_factory: pytest.TempPathFactory, artifacts: Path
) -> Iterator[LiveService]:
    """The service started as the Dockerfile starts it (``dynamic-mcp serve``)."""
    with run_service(tmp_path_factory.mktemp("browser-service"), artifacts) as service:
        yield service


@contextlib.contextmanager
def run_service(
    workdir: Path, artifacts: Path, extra_env: dict[str, str] | None = None, label: str = "browser"
) -> Iterator[LiveService]:
    """Run the service in ``workdir``, ``extra_env`` on top (e.g. CATALOG_DIRS)."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in _SCRUBBED}
    env.update(PUBLIC_BASE_URL=f"http://127.0.0.1:{port}", **(extra_env or {}))
    env.update(
        DATA_DIR=str(workdir / "data"),
        ENVIRONMENT="development",
        AGENT_MODEL_OVERRIDE="passthrough",
        LOG_LEVEL="INFO",
        PYTHONUNBUFFERED="1",
        PORT=str(port),  # also names the address in the sign-in links the CLI prints
        # the agents' MCP servers are launched with uvx/fast-agent from the project's venv
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        # packages install in the agents' sandbox, which gets only the operator's settings:
        # the registries' proxy here needs the system CA bundle
        AGENT_CA_BUNDLE="/etc/ssl/certs/ca-certificates.crt",
    )
    log = artifacts / f"{label}-service.log"
    with log.open("wb") as out:
        # Load the bundled catalog first, as an operator would, so there are servers to find.
        preload = subprocess.run(
            [sys.executable, "-m", "dynamic_mcp.cli", "catalog", "load"],
            cwd=workdir,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            timeout=300,
        )
        assert preload.returncode == 0, log.read_text()[-3000:]
        proc = subprocess.Popen(
            [sys.executable, "-m", "dynamic_mcp.cli", "serve"],
            cwd=workdir,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_until_ok(f"{base_url}/readyz", proc, log, 120)
        yield LiveService(base_url, env, workdir, log)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def browser() -> AsyncIterator[object]:
    require_chromium(CHROMIUM)
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        chromium = await pw.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            await chromium.close()
