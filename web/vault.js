// The person's stored credentials: names and last characters only, each deletable.
import { api, guarded } from "./context.js";
import { byId, h } from "./dom.js";

export async function loadVault() {
  const { items } = await api.listCredentials();
  const list = byId("vault-list");
  list.replaceChildren();
  if (!items.length) list.append(h("li", { className: "hint", text: "None yet." }));
  for (const item of items) {
    const label = `${item.server} ${item.name}`;
    list.append(
      h(
        "li",
        {},
        h("span", { className: "vault-name", text: `${item.server} · ${item.name}` }),
        h("span", { className: "vault-last4", text: item.last4 ? `…${item.last4}` : "" }),
        h("button", {
          type: "button",
          className: "btn link",
          "aria-label": `Delete credential ${label}`,
          text: "Delete",
          onclick: () =>
            guarded(async () => {
              await api.deleteCredential(item.server, item.name);
              await loadVault();
            }),
        }),
      ),
    );
  }
}
