// The agent panel: status, start/stop, the generated config with downloads, a message box.
import { api, describe, guarded, state } from "./context.js";
import { byId, download, h } from "./dom.js";
import { loadWorkflow } from "./runs.js";
import { configFile } from "./views.js";

export function hideAgent() {
  state.agentId = null;
  byId("agent-panel").hidden = true;
  byId("config-files").replaceChildren();
  byId("agent-log").replaceChildren();
  byId("agent-tools").replaceChildren();
}

export async function showAgent(agentId) {
  const switching = state.agentId !== agentId;
  state.agentId = agentId;
  byId("agent-panel").hidden = false;
  const agent = await api.getAgent(agentId);
  renderAgent(agent);
  if (switching) await loadConfig(agentId);
  await loadWorkflow(agentId);
}

function renderAgent(agent) {
  byId("agent-name").textContent = agent.name;
  byId("agent-status").textContent = agent.status;
  byId("agent-error").hidden = !agent.error;
  byId("agent-error").textContent = agent.error ? `Problem: ${agent.error}` : "";
  const running = agent.status === "running";
  byId("agent-start").disabled = running;
  byId("agent-stop").disabled = !running;
  byId("agent-send").disabled = !running;
  const tools = byId("agent-tools");
  tools.replaceChildren();
  for (const tool of agent.tools || []) tools.append(h("li", { text: typeof tool === "string" ? tool : tool.name || JSON.stringify(tool) }));
}

async function loadConfig(agentId) {
  const { files } = await api.agentConfig(agentId);
  const box = byId("config-files");
  box.replaceChildren();
  for (const [name, content] of Object.entries(files)) box.append(configFile(name, content, (n, c) => download(n, c, "text/yaml")));
  byId("config-download-all").hidden = false;
}

export async function agentAction(action) {
  if (!state.agentId) return;
  await guarded(async () => {
    byId("agent-status").textContent = action === "start" ? "starting…" : action === "stop" ? "stopping…" : "checking…";
    const agent =
      action === "start" ? await api.startAgent(state.agentId) : action === "stop" ? await api.stopAgent(state.agentId) : await api.getAgent(state.agentId);
    renderAgent(agent);
  });
  if (state.agentId) {
    // keep the buttons truthful even when the action failed
    await api.getAgent(state.agentId).then(renderAgent).catch(() => {});
  }
}

export async function sendToAgent(message) {
  const log = byId("agent-log");
  log.append(h("p", { className: "agent-msg from-user" }, h("strong", { text: "You: " }), message));
  const button = byId("agent-send");
  button.disabled = true;
  try {
    const { reply } = await api.messageAgent(state.agentId, message, { sessionId: state.sessionId });
    log.append(h("p", { className: "agent-msg from-agent" }, h("strong", { text: "Agent: " }), reply));
  } catch (err) {
    log.append(h("p", { className: "agent-msg error-text", text: describe(err) }));
  } finally {
    button.disabled = byId("agent-status").textContent !== "running";
  }
}
