// One chat turn, streamed: text, tool activity, server cards and credential forms.
import { showAgent } from "./agent.js";
import { api, clearError, describe, guarded, showError, state } from "./context.js";
import { byId, h } from "./dom.js";
import { loadSessions, markCurrentSession } from "./sessions.js";
import { loadVault } from "./vault.js";
import { listenForConnections } from "./oauth.js";
import { credentialForms, finishToolLine, messageBubble, serverCards, toolLine } from "./views.js";

// A sign-in finished in another tab: the conversation continues from here.
listenForConnections((done) => {
  if (!done.session_id || done.session_id === state.sessionId) sendChat(`${done.name} is connected.`);
});

function appendToLog(el) {
  byId("empty-log").hidden = true;
  byId("log").append(el);
  followLog(true);
  if (window.matchMedia("(max-width: 700px)").matches) el.scrollIntoView({ block: "nearest" });
}

/** Keep the newest text in view, unless the person scrolled up to read. */
function followLog(force = false) {
  const log = byId("log");
  const nearBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 120;
  if (force || nearBottom) log.scrollTop = log.scrollHeight;
}

export async function sendChat(message) {
  if (state.busy || !message.trim()) return;
  state.busy = true;
  byId("send").disabled = true;
  clearError();
  appendToLog(messageBubble("user", message).el);
  const reply = messageBubble("assistant");
  reply.el.setAttribute("aria-busy", "true");
  appendToLog(reply.el);
  const running = new Map();
  let sawUi = false;
  let afterTool = false;
  const isNew = !state.sessionId;
  try {
    for await (const { event, data } of api.chatStream({ message, sessionId: state.sessionId })) {
      if (event === "session") {
        state.sessionId = data.session_id;
      } else if (event === "text_delta") {
        // Text after a tool call is a new paragraph, not the end of the previous sentence.
        if (afterTool && reply.body.textContent) reply.body.textContent += "\n\n";
        afterTool = false;
        reply.body.textContent += data.text;
        followLog();
      } else if (event === "tool_start") {
        afterTool = true;
        const li = toolLine(data.name);
        running.set(data.id, li);
        reply.tools.append(li);
      } else if (event === "tool_end") {
        const li = running.get(data.id) || reply.tools.appendChild(toolLine(data.name));
        finishToolLine(li, data);
      } else if (event === "ui") {
        sawUi = true;
        renderUi(data);
      } else if (event === "done") {
        state.sessionId = data.session_id || state.sessionId;
        if (!reply.body.textContent && data.reply) reply.body.textContent = data.reply;
        if (!sawUi) for (const ui of data.events || []) renderUi(ui);
        followLog(true);
      } else if (event === "error") {
        showError(data?.error?.message || "The assistant could not finish this reply.");
      }
    }
    if (!reply.body.textContent) reply.body.textContent = "(no reply)";
  } catch (err) {
    reply.body.textContent ||= "This reply could not be completed.";
    showError(err);
  } finally {
    reply.el.removeAttribute("aria-busy");
    state.busy = false;
    byId("send").disabled = false;
  }
  if (isNew && state.sessionId) {
    await loadSessions(true).catch(() => {});
    markCurrentSession();
  }
}

function renderUi(event) {
  if (event.type === "servers_found") appendToLog(serverCards(event.servers || []));
  else if (event.type === "credentials_requested") appendToLog(credentialForms(event.servers || [], saveCredentials, event.host_paths));
  else if (event.type === "config_built") guarded(() => showAgent(event.agent_id));
  else if (event.type === "agent_started") guarded(() => showAgent(event.agent_id));
  else if (event.type === "workflow_set") guarded(() => showAgent(event.agent_id));
  else if (event.type === "agent_installing") appendToLog(h("p", { className: "install-line" }, `Installing ${event.package} for ${event.server}…`));
  else if (event.type === "agent_installed") appendToLog(h("p", { className: "install-line" }, `${event.package} ${event.fresh ? `installed in ${event.seconds} s` : "already installed"}.`));
}

async function saveCredentials(server, values, form, status) {
  try {
    const result = await api.submitCredentials(state.sessionId, server, values);
    for (const input of form.querySelectorAll("input")) input.value = ""; // keep no secret in the page
    const stored = result.stored.length ? `Saved ${result.stored.join(", ")}.` : "";
    const missing = result.missing.length ? ` Still needed: ${result.missing.join(", ")}.` : "";
    status.className = "form-status ok-text";
    status.textContent = `${stored}${missing}${result.complete ? " All set for this server." : ""}`.trim();
    form.dataset.complete = result.complete ? "true" : "";
    if (byId("vault-details").open) loadVault().catch(() => {});
    if (result.complete && allFormsComplete(form)) offerContinue(form);
  } catch (err) {
    status.className = "form-status error-text";
    status.textContent = describe(err);
    // what was typed stays in the form; point at the field the server refused
    const field = String(err?.details?.field || "").replace(/^values\./, "");
    for (const input of form.querySelectorAll("input")) if (input.name === field) input.setAttribute("aria-invalid", "true");
  }
}

function allFormsComplete(form) {
  const block = form.closest(".ui-block") || document;
  return [...block.querySelectorAll(".cred-form")].every((f) => f.dataset.complete === "true");
}

function offerContinue(form) {
  const block = form.closest(".ui-block");
  if (!block || block.querySelector(".continue-btn")) return;
  const button = h("button", {
    type: "button",
    className: "btn primary continue-btn",
    text: "Continue: build my agent",
    onclick: () => {
      button.disabled = true;
      sendChat("I have saved the credentials. Please build the agent.");
    },
  });
  block.append(button);
  button.focus();
}
