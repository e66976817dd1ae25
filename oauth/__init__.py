"""OAuth connect for remote MCP servers: this service as a server-side OAuth client.

Implements the client side of the MCP authorization spec (revision 2026-07-28): discovery
(RFC 9728, RFC 8414), client identity (pre-registered, Client ID Metadata Document, RFC 7591),
authorization code with PKCE (RFC 7636) and resource indicators (RFC 8707), tokens kept in the
credentials vault, refreshed and revoked (RFC 7009).
"""
