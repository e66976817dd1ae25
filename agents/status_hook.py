"""fast-agent lifecycle hook copied into each spawned agent's directory (not imported here).

It runs inside the agent process after its MCP servers connected and writes what the agent
can use to ``$DMCP_STATUS_FILE``, which the supervisor reads to report servers and tools.
"""

import json
import os
from typing import Any


async def on_start(ctx: Any) -> None:  # fast-agent passes its own context type
    path = os.environ.get("DMCP_STATUS_FILE")
    if not path:
        return
    result = await ctx.agent.list_tools()
    tools = [{"name": t.name, "description": (t.description or "")[:300]} for t in result.tools]
    tmp = f"{path}.tmp"
    with open(tmp, "w", encoding="utf-8") as fh:  # noqa: ASYNC230 - a tiny local file, once
        # the instruction as fast-agent will send it to the model (after its template pass)
        instruction = str(getattr(ctx.agent, "instruction", ""))
        json.dump({"agent": ctx.agent_name, "tools": tools, "instruction": instruction}, fh)
    os.replace(tmp, path)
