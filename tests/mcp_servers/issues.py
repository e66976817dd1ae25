"""A tiny stdio MCP server for tests: lists the issues written in a JSON file (argv[1])."""

import json
import sys
from pathlib import Path

from mcp.server.mcpserver import MCPServer

server = MCPServer("issues")
ISSUES = Path(sys.argv[1])


@server.tool()
def list_issues() -> list[dict[str, object]]:
    """List the open issues: id and title of each."""
    return json.loads(ISSUES.read_text()) if ISSUES.exists() else []


if __name__ == "__main__":
    server.run()
