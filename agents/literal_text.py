"""Instructions are text, not templates: neutralise every expansion fast-agent would perform.

fast-agent expands ``{{...}}`` placeholders in an agent card's instruction: ``{{file:...}}``,
``{{file_silent:...}}`` (read files), ``{{url:...}}`` (fetch URLs), ``{{internal:...}}``
(packaged resources), built-ins (``{{currentDate}}``, ``{{hostPlatform}}``, ``{{pythonVer}}``)
and context values (``{{workspaceRoot}}``, ``{{env}}``, ``{{serverInstructions}}``,
``{{agentSkills}}``...). Its own escape, ``\\{{`` and ``\\}}``, renders literal braces, so every
``{{`` and ``}}`` is escaped. A body line ``---USER``/``---ASSISTANT``/``---RESOURCE`` would be
read as a history block, and a first line ``---SYSTEM`` dropped: a zero-width space in front
keeps such lines text.
"""

import re

_DELIMITER_LINE = re.compile(r"^(\s*)(---(?:USER|ASSISTANT|RESOURCE|SYSTEM)\s*)$", re.MULTILINE)


def literal_instruction(text: str) -> str:
    """``text`` written so that fast-agent hands it to the model exactly as typed."""
    escaped = text.replace("{{", "\\{{").replace("}}", "\\}}")
    return _DELIMITER_LINE.sub(lambda m: f"{m.group(1)}\u200b{m.group(2)}", escaped)
