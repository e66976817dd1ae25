// What every part of the page shares: the API client, the page state, errors in words.
import { ApiError, DynamicMcpClient } from "./client.js";
import { byId } from "./dom.js";

const TOKENS_KEY = "dynamic-mcp.tokens";
export const state = {
  mode: "local",
  sessionId: null,
  sessionsCursor: null,
  messagesCursor: null,
  agentId: null,
  busy: false,
  onSignInNeeded: () => {}, // set by app.js: show the sign-in screen
};

export const api = new DynamicMcpClient({
  tokens: readTokens(),
  onTokens: (tokens) => {
    if (tokens && state.mode === "local") localStorage.setItem(TOKENS_KEY, JSON.stringify(tokens));
    else localStorage.removeItem(TOKENS_KEY);
  },
});

function readTokens() {
  try {
    return JSON.parse(localStorage.getItem(TOKENS_KEY) || "null");
  } catch {
    return null;
  }
}

// --- errors, in words ---------------------------------------------------------------------

export function describe(err) {
  if (err instanceof ApiError) {
    if (err.status === 429) return `You are going a bit fast. Please wait ${err.retryAfter || "a few"} seconds and try again.`;
    if (err.status === 401) return "Your sign-in has expired. Please sign in again.";
    if (err.status === 413) return "That message is too long. Please shorten it.";
    if (err.status >= 500) return `The server had a problem (${err.message}). Please try again in a moment.`;
    return err.message;
  }
  if (err && err.name === "AbortError") return "Stopped.";
  return "Something went wrong in the page. Reload and try again.";
}

export function showError(err) {
  byId("alert-text").textContent = typeof err === "string" ? err : describe(err);
  byId("alert").hidden = false;
  if (err instanceof ApiError && err.status === 401 && !api.signedIn) state.onSignInNeeded();
}

export function clearError() {
  byId("alert").hidden = true;
}

export async function guarded(fn) {
  try {
    clearError();
    return await fn();
  } catch (err) {
    console.error(err);
    showError(err);
    return undefined;
  }
}
