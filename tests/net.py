"""Loopback helpers for tests that run a real server process: a free port, and waiting for it."""

import socket
import subprocess
import time
from pathlib import Path

import httpx


def free_port() -> int:
    """A TCP port on 127.0.0.1 nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_ok(
    url: str, process: subprocess.Popen[bytes], log: Path | None, seconds: float
) -> None:
    """Poll ``url`` until it answers 200; fail with the log's tail if the process exits first."""
    deadline = time.monotonic() + seconds

    def tail() -> str:
        return log.read_text()[-3000:] if log is not None and log.exists() else ""

    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the server exited with {process.returncode}:\n{tail()}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{url} did not answer 200 within {seconds:.0f} s:\n{tail()}")
