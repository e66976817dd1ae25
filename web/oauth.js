// "Connect <service>" for OAuth servers: a link the browser opens in a new tab; the callback page
// announces success on a BroadcastChannel, and the chat continues ("Linear is connected.").
import { api, describe, state } from "./context.js";
import { h, safeUrl } from "./dom.js";

const CHANNEL = "dynamic-mcp-oauth";

/** The Connect card of one server of a credentials_requested event. */
export function oauthCard(server) {
  const oauth = server.oauth;
  const label = oauth.label || `Connect ${server.name || server.server}`;
  const status = h("p", { className: "form-status", role: "status", "aria-live": "polite" });
  const card = h("div", { className: "card oauth-card", "data-server": server.server });
  if (oauth.status === "connected") {
    status.textContent = `${server.name || server.server} is connected.`;
    status.className = "form-status ok-text";
    card.dataset.complete = "true";
    card.append(h("p", { text: label.replace(/^Connect /, "") }), status);
    return card;
  }
  const link = h("a", {
    className: "btn primary oauth-connect",
    href: safeUrl(oauth.connect_url) || "#",
    target: "_blank",
    rel: "noopener",
    text: label,
  });
  // The link works once: after a click, fetch a fresh one for the next attempt.
  link.addEventListener("click", () => {
    status.className = "form-status";
    status.textContent = "Sign in in the new tab; this chat continues when you are done.";
    setTimeout(() => refreshLink(server.server, link, status), 500);
  });
  const again = oauth.status === "needs_reauthorization" ? " The saved sign-in stopped working: connect again." : "";
  card.append(h("p", { text: `${server.name || server.server} signs in with OAuth: no token to copy.${again}` }), link, status);
  return card;
}

async function refreshLink(server, link, status) {
  try {
    const fresh = await api.connectOAuth(server, state.sessionId);
    link.href = safeUrl(fresh.connect_url) || "#";
  } catch (err) {
    status.className = "form-status error-text";
    status.textContent = describe(err);
  }
}

/** Call `onConnected(message)` when a sign-in completes in another tab of this browser. */
export function listenForConnections(onConnected) {
  if (!("BroadcastChannel" in window)) return;
  new BroadcastChannel(CHANNEL).addEventListener("message", (event) => {
    const data = event.data || {};
    if (data.type !== "oauth_connected") return;
    for (const card of document.querySelectorAll(`.oauth-card[data-server="${CSS.escape(data.server)}"]`)) {
      card.dataset.complete = "true";
      const status = card.querySelector(".form-status");
      if (status) {
        status.className = "form-status ok-text";
        status.textContent = `${data.name} is connected.`;
      }
      card.querySelector(".oauth-connect")?.remove();
    }
    onConnected(data);
  });
}
