"""Dynamic MCP Agent API."""

__version__ = "0.1.0"
