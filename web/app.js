// The web chat: sign in, converse (streamed), hand over credentials, get and run the agent.
import { agentAction, sendToAgent } from "./agent.js";
import { initSupabase, signInWithGoogle, signOutSupabase, takeLinkToken, tokenFromLink } from "./auth.js";
import { sendChat } from "./chat.js";
import { ApiError } from "./client.js";
import { api, clearError, guarded, showError, state } from "./context.js";
import { byId, download } from "./dom.js";
import { loadMessages, loadSessions, newConversation } from "./sessions.js";
import { runNow, toggleSchedule } from "./runs.js";
import { loadVault } from "./vault.js";

// --- sign in ------------------------------------------------------------------------------

function showSignIn() {
  byId("workspace").hidden = true;
  byId("account").hidden = true;
  byId("signin").hidden = false;
  byId("signin-local").hidden = state.mode !== "local";
  byId("signin-google").hidden = state.mode !== "supabase";
  (state.mode === "local" ? byId("signin-token") : byId("google-signin")).focus();
}

async function enterWorkspace() {
  const me = await api.me();
  byId("account-name").textContent = me.name || me.email || "Signed in";
  byId("signin").hidden = true;
  byId("account").hidden = false;
  byId("workspace").hidden = false;
  await loadSessions(true);
  byId("composer-input").focus();
}

async function boot() {
  state.onSignInNeeded = showSignIn;
  wireEvents();
  if (window.matchMedia("(max-width: 700px)").matches) byId("sessions-details").open = false;
  try {
    const config = await api.authConfig();
    state.mode = config.mode;
    if (config.mode === "supabase") await initSupabase(config, api);
  } catch (err) {
    showError(err);
  }
  const linkToken = takeLinkToken();
  if (state.mode === "local" && linkToken) return signInWithLink(linkToken);
  if (!api.signedIn) return showSignIn();
  try {
    await enterWorkspace();
  } catch (err) {
    api.setTokens(null);
    showSignIn();
    if (!(err instanceof ApiError && err.status === 401)) showError(err);
  }
}

function signInWithLink(token) {
  return guarded(async () => {
    byId("signin-status").textContent = "Signing in…";
    try {
      await api.signInLocal(token);
    } catch (err) {
      showSignIn();
      throw err;
    } finally {
      byId("signin-status").textContent = "";
    }
    await enterWorkspace();
  });
}

// --- wiring -------------------------------------------------------------------------------

function wireEvents() {
  byId("alert-close").addEventListener("click", clearError);
  byId("signin-local").addEventListener("submit", (event) => {
    event.preventDefault();
    const box = byId("signin-token");
    const token = tokenFromLink(box.value);
    box.value = "";
    if (token) signInWithLink(token);
  });
  // a sign-in link pasted into the address bar of a tab that is already open
  window.addEventListener("hashchange", () => {
    const token = takeLinkToken();
    if (token && state.mode === "local") signInWithLink(token);
  });
  byId("google-signin").addEventListener("click", () => guarded(signInWithGoogle));
  byId("sign-out").addEventListener("click", () =>
    guarded(async () => {
      await api.logout().catch(() => {});
      await signOutSupabase();
      newConversation();
      showSignIn();
    }),
  );
  byId("new-chat").addEventListener("click", newConversation);
  byId("vault-details").addEventListener("toggle", () => {
    if (byId("vault-details").open) guarded(loadVault);
  });
  byId("more-sessions").addEventListener("click", () => guarded(() => loadSessions(false)));
  byId("more-messages").addEventListener("click", () => guarded(loadMessages));

  const input = byId("composer-input");
  byId("composer").addEventListener("submit", (event) => {
    event.preventDefault();
    const message = input.value;
    if (!message.trim()) return;
    input.value = "";
    sendChat(message);
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      byId("composer").requestSubmit();
    }
  });

  byId("agent-start").addEventListener("click", () => agentAction("start"));
  byId("agent-stop").addEventListener("click", () => agentAction("stop"));
  byId("agent-refresh").addEventListener("click", () => agentAction("status"));
  byId("run-now").addEventListener("click", () => runNow());
  byId("schedule-toggle").addEventListener("click", () => toggleSchedule());
  byId("config-download-all").addEventListener("click", () =>
    guarded(async () => download(`${byId("agent-name").textContent || "agent"}-config.zip`, await api.agentConfigZip(state.agentId))),
  );
  byId("agent-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const box = byId("agent-input");
    const message = box.value.trim();
    if (!message) return;
    box.value = "";
    sendToAgent(message);
  });
}

boot();
