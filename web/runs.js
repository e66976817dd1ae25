// The agent's workflow: when it runs next, pause/resume, run now, and the run history with outputs.
import { api, describe, guarded, state } from "./context.js";
import { byId, h } from "./dom.js";

let schedule = null;
let polling = null;

export async function loadWorkflow(agentId) {
  try {
    schedule = await api.getSchedule(agentId);
  } catch (err) {
    if (err.status !== 404) throw err;
    schedule = null; // no schedule yet: the agent runs when asked
  }
  renderSchedule();
  await loadRuns(agentId);
}

function renderSchedule() {
  const text = byId("schedule-text");
  const toggle = byId("schedule-toggle");
  if (!schedule || schedule.trigger === "on_demand") {
    text.textContent = "Runs when you ask (no schedule).";
    toggle.hidden = true;
    return;
  }
  const next = schedule.paused ? "paused" : `next run ${schedule.next_run || "soon"}`;
  text.textContent = `${schedule.description} — ${next}`;
  toggle.hidden = false;
  toggle.textContent = schedule.paused ? "Resume schedule" : "Pause schedule";
}

async function loadRuns(agentId) {
  const { runs } = await api.listRuns(agentId, { limit: 10 });
  const list = byId("run-list");
  list.replaceChildren();
  if (!runs.length) list.append(h("li", { className: "hint", text: "No runs yet." }));
  for (const run of runs) list.append(runItem(run));
  const active = runs.some((r) => r.status === "queued" || r.status === "running");
  clearTimeout(polling);
  if (active && state.agentId === agentId) polling = setTimeout(() => loadRuns(agentId).catch(() => {}), 2000);
}

function runItem(run) {
  const when = new Date(run.scheduled_for).toLocaleString();
  const body = run.error ? h("p", { className: "error-text", text: run.error }) : h("pre", { className: "run-output", text: run.output || "" });
  return h(
    "li",
    { className: `run run-${run.status}` },
    h("details", {}, h("summary", { text: `${when} · ${run.trigger} · ${run.status}` }), run.status === "queued" || run.status === "running" ? null : body),
  );
}

export async function toggleSchedule() {
  if (!state.agentId || !schedule) return;
  await guarded(async () => {
    schedule = schedule.paused ? await api.resumeSchedule(state.agentId) : await api.pauseSchedule(state.agentId);
    renderSchedule();
  });
}

export async function runNow() {
  if (!state.agentId) return;
  const agentId = state.agentId;
  await guarded(async () => {
    await api.runNow(agentId);
    await loadRuns(agentId);
  }).catch((err) => byId("run-list").prepend(h("li", { className: "error-text", text: describe(err) })));
}
