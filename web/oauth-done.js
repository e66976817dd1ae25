// The page the OAuth callback shows: tell the chat tab (same origin) that a server is connected,
// then close this window if a script opened it. BroadcastChannel, not window.opener: the page's
// Cross-Origin-Opener-Policy cuts the opener once the tab visited the authorization server.
const result = document.getElementById("oauth-result");
if (result && result.dataset.status === "connected") {
  const message = {
    type: "oauth_connected",
    server: result.dataset.server,
    name: result.dataset.name,
    session_id: result.dataset.session || null,
  };
  if ("BroadcastChannel" in window) new BroadcastChannel("dynamic-mcp-oauth").postMessage(message);
  setTimeout(() => window.close(), 1500);
}
