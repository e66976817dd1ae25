"""A tiny stdio MCP server for tests: it reports the environment it was started with."""

import os
import sys
import time

from mcp.server.mcpserver import MCPServer

server = MCPServer("echo-env")


@server.tool()
def echo(text: str) -> str:
    """Echo text back."""
    return f"echo:{text}"


@server.tool()
def get_env(name: str) -> str:
    """Return the value of one environment variable this server received, or <unset>."""
    return os.environ.get(name, "<unset>")


@server.tool()
def sleep(seconds: float) -> str:
    """Sleep, then answer (for timeout tests)."""
    time.sleep(seconds)
    return f"slept {seconds}"


@server.tool()
def env_keys() -> list[str]:
    """List the names of the environment variables this server received."""
    return sorted(os.environ)


if __name__ == "__main__":
    if "--fail" in sys.argv:
        sys.stderr.write("echo-env: refusing to start (--fail)\n")
        raise SystemExit(3)
    if "--slow-start" in sys.argv:  # a server slower to start than fast-agent's own 10 s budget
        time.sleep(float(sys.argv[sys.argv.index("--slow-start") + 1]))
    server.run()
