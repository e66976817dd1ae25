// Renderers for what the chat shows: messages, tool activity, server cards, credential forms.
import { h, safeUrl, slugId } from "./dom.js";
import { oauthCard } from "./oauth.js";

const TOOL_LABELS = {
  search_mcp_servers: "Searching the MCP server catalog",
  request_credentials: "Preparing credential forms",
  save_credential: "Saving a credential",
  build_agent_config: "Building the agent configuration",
  create_fast_agent: "Starting the agent",
};

/** Turn stored message content (string or content blocks) into display text. */
export function messageText(content) {
  if (typeof content === "string") return content;
  if (Array.isArray(content)) {
    return content
      .map((block) => {
        if (typeof block === "string") return block;
        if (block && block.type === "text") return block.text;
        if (block && block.type === "tool_use") return `[used ${block.name}]`;
        return "";
      })
      .filter(Boolean)
      .join("\n");
  }
  if (content && typeof content === "object" && typeof content.text === "string") return content.text;
  return "";
}

/** A chat bubble; returns the element and its text node holder for streaming. */
export function messageBubble(role, text = "") {
  const body = h("div", { className: "bubble-text" }, text);
  const tools = h("ul", { className: "tool-activity", "aria-label": "Assistant activity" });
  const who = role === "user" ? "You" : "Assistant";
  const el = h(
    "article",
    { className: `bubble ${role === "user" ? "from-user" : "from-assistant"}`, "aria-label": `${who} said` },
    h("p", { className: "bubble-who", text: who }),
    body,
    tools,
  );
  return { el, body, tools };
}

/** One line of tool activity, updated when the tool ends. */
export function toolLine(name) {
  const li = h("li", { className: "tool running", "data-tool": name }, `${TOOL_LABELS[name] || name}…`);
  return li;
}

export function finishToolLine(li, { name, is_error, summary }) {
  li.classList.remove("running");
  li.classList.add(is_error ? "failed" : "done");
  const label = TOOL_LABELS[name] || name;
  li.textContent = `${is_error ? "✗" : "✓"} ${label}${summary ? ` — ${summary}` : ""}`;
}

/** Cards for the servers the search found. */
export function serverCards(servers) {
  const list = h("ul", { className: "cards", "aria-label": "MCP servers found" });
  for (const server of servers) {
    const needs = (server.credentials || []).map((c) => (typeof c === "string" ? c : c.name)).filter(Boolean);
    list.append(
      h(
        "li",
        { className: "card server-card", "data-server": server.slug },
        h("h3", { text: server.name || server.slug }),
        h("p", { className: "card-desc", text: server.description || "" }),
        server.why ? h("p", { className: "card-why", text: `Why: ${server.why}` }) : null,
        h(
          "p",
          { className: "card-meta" },
          typeof server.score === "number" ? `Match ${Math.round(server.score * 100) / 100}` : "",
          needs.length ? ` · needs ${needs.join(", ")}` : " · no credentials needed",
        ),
      ),
    );
  }
  return h("section", { className: "ui-block", "aria-label": "Servers found" }, h("h3", { text: "Servers found" }), list);
}

/**
 * A credential form per server. `onSubmit(server, values, form)` sends the values to the
 * credentials endpoint; they never enter the chat.
 */
export function credentialForms(servers, onSubmit, hostPaths = "") {
  const block = h("section", { className: "ui-block", "aria-label": "Credentials needed" }, h("h3", { text: "Credentials needed" }));
  for (const server of servers) {
    if (server.oauth) block.append(oauthCard(server));
    if (server.oauth && !(server.items || []).length) continue; // nothing to paste instead
    const form = credentialForm(server, onSubmit, hostPaths);
    // Nothing missing: keep the form at hand for updates, folded away.
    block.append(
      server.complete
        ? h("details", { className: "cred-done" }, h("summary", { text: `${server.name || server.server}: credentials stored (change)` }), form)
        : form,
    );
  }
  return block;
}

function credentialForm(server, onSubmit, hostPaths) {
  const slug = slugId(server.server);
  const status = h("p", { className: "form-status", role: "status", "aria-live": "polite" });
  const form = h("form", { className: "card cred-form", "data-server": server.server, autocomplete: "off", novalidate: true });
  const fields = h("fieldset", {}, h("legend", { text: `${server.name || server.server}` }));
  for (const item of server.items || []) {
    const id = `cred-${slug}-${slugId(item.name)}`;
    const hintId = `${id}-hint`;
    const link = item.obtain_url ? safeUrl(item.obtain_url) : null;
    const input = h("input", {
      id,
      name: item.name,
      type: item.secret === false ? "text" : "password",
      autocomplete: item.secret === false ? "off" : "new-password",
      spellcheck: "false",
      "aria-describedby": hintId,
      "data-pattern": item.pattern || null,
      "data-required": item.required !== false && !item.provided ? "true" : null,
      placeholder: item.provided ? "Stored — leave blank to keep" : item.example || "",
    });
    fields.append(
      h(
        "div",
        { className: "field" },
        h("label", { for: id }, item.name, item.required === false ? " (optional)" : "", item.provided ? h("span", { className: "badge", text: "stored" }) : null),
        input,
        h(
          "p",
          { id: hintId, className: "hint" },
          item.description || "",
          item.path ? ` A full path on the service's machine, not your computer. ${hostPaths || ""}` : "",
          link ? " " : "",
          link ? h("a", { href: link, target: "_blank", rel: "noopener noreferrer", text: "How to get it" }) : null,
        ),
      ),
    );
  }
  const button = h("button", { type: "submit", className: "btn primary", text: `Save credentials for ${server.name || server.server}` });
  form.append(fields, button, status);
  if (server.complete) {
    status.textContent = "All required credentials are stored.";
    form.dataset.complete = "true";
  }
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const values = {};
    const problems = [];
    for (const input of form.querySelectorAll("input")) {
      const value = input.value.trim();
      input.removeAttribute("aria-invalid");
      if (!value) {
        if (input.dataset.required) problems.push(`${input.name} is required.`);
        continue;
      }
      if (input.dataset.pattern && !matches(input.dataset.pattern, value)) {
        problems.push(`${input.name} does not look right (expected format ${input.dataset.pattern}).`);
        input.setAttribute("aria-invalid", "true");
        continue;
      }
      values[input.name] = value;
    }
    if (problems.length) {
      status.textContent = problems.join(" ");
      status.className = "form-status error-text";
      return;
    }
    if (!Object.keys(values).length) {
      status.textContent = "Nothing to save: enter at least one value.";
      status.className = "form-status error-text";
      return;
    }
    button.disabled = true;
    status.className = "form-status";
    status.textContent = "Saving…";
    try {
      await onSubmit(server.server, values, form, status);
    } finally {
      button.disabled = false;
    }
  });
  return form;
}

function matches(pattern, value) {
  try {
    return new RegExp(`^(?:${pattern})$`).test(value);
  } catch {
    return true; // a pattern JS cannot read is the server's to enforce
  }
}

/** One collapsible file of the generated config with its own download button. */
export function configFile(name, content, onDownload) {
  return h(
    "details",
    { className: "config-file", open: name.endsWith(".yaml") && !name.includes("secrets") ? true : null },
    h("summary", { text: name }),
    h("pre", { tabindex: "0", "aria-label": `Contents of ${name}` }, h("code", { text: content })),
    h("button", { type: "button", className: "btn secondary", text: `Download ${name.split("/").pop()}`, onclick: () => onDownload(name, content) }),
  );
}

/** A conversation in the sidebar, with its own delete button. */
export function sessionItem(session, current, onOpen, onDelete) {
  const title = session.title || session.last_message?.text || "Untitled conversation";
  const when = session.updated_at ? new Date(session.updated_at).toLocaleString() : "";
  return h(
    "li",
    {},
    h(
      "button",
      {
        type: "button",
        className: `session-btn${current ? " current" : ""}`,
        "aria-current": current ? "true" : null,
        "data-session": session.id,
        onclick: () => onOpen(session.id),
      },
      h("span", { className: "session-title", text: title.slice(0, 80) }),
      h("span", { className: "session-when", text: when }),
    ),
    h("button", {
      type: "button",
      className: "btn link session-delete",
      "aria-label": `Delete conversation: ${title.slice(0, 80)}`,
      text: "Delete",
      onclick: () => onDelete(session.id, title),
    }),
  );
}
