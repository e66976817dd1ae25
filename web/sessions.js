// The conversation list (paged), opening and deleting a conversation.
import { hideAgent, showAgent } from "./agent.js";
import { api, guarded, state } from "./context.js";
import { byId } from "./dom.js";
import { messageBubble, messageText, sessionItem } from "./views.js";

export async function loadSessions(reset) {
  const page = await api.history({ limit: 20, cursor: reset ? null : state.sessionsCursor });
  const list = byId("session-list");
  if (reset) list.replaceChildren();
  for (const session of page.items) {
    list.append(sessionItem(session, session.id === state.sessionId, openSession, deleteSession));
  }
  state.sessionsCursor = page.next_cursor;
  byId("more-sessions").hidden = !page.next_cursor;
}

export function resetLog() {
  byId("log").replaceChildren(byId("empty-log"));
  byId("empty-log").hidden = false;
  byId("more-messages").hidden = true;
  state.messagesCursor = null;
}

export function newConversation() {
  state.sessionId = null;
  resetLog();
  hideAgent();
  markCurrentSession();
  byId("composer-input").focus();
}

export async function openSession(sessionId) {
  await guarded(async () => {
    state.sessionId = sessionId;
    resetLog();
    hideAgent();
    markCurrentSession();
    await loadMessages();
    const agents = await api.listAgents().catch(() => ({ items: [] }));
    const agent = agents.items.find((a) => a.session_id === sessionId);
    if (agent) await showAgent(agent.id);
  });
}

/** The next page of a conversation's messages (pages run oldest first). */
export async function loadMessages() {
  const page = await api.messages(state.sessionId, { limit: 50, cursor: state.messagesCursor });
  const log = byId("log");
  for (const message of page.items) {
    if (message.role !== "user" && message.role !== "assistant") continue;
    const text = messageText(message.content);
    if (text) log.append(messageBubble(message.role, text).el);
  }
  byId("empty-log").hidden = log.children.length > 1;
  state.messagesCursor = page.next_cursor;
  byId("more-messages").hidden = !page.next_cursor;
}

export async function deleteSession(sessionId, title) {
  if (!window.confirm(`Delete the conversation “${title}”? This cannot be undone.`)) return;
  await guarded(async () => {
    await api.deleteSession(sessionId);
    if (state.sessionId === sessionId) newConversation();
    await loadSessions(true);
  });
}

export function markCurrentSession() {
  for (const btn of document.querySelectorAll(".session-btn")) {
    const current = btn.dataset.session === state.sessionId;
    btn.classList.toggle("current", current);
    if (current) btn.setAttribute("aria-current", "true");
    else btn.removeAttribute("aria-current");
  }
}
