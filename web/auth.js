// Sign-in: a one-time sign-in link on the embedded stack, Google through Supabase otherwise.
// supabase-js is vendored (web/vendor, MIT) and loaded only in Supabase mode.

let supabaseClient = null;

function loadScript(src) {
  return new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = src;
    script.onload = resolve;
    script.onerror = () => reject(new Error(`Could not load ${src}`));
    document.head.append(script);
  });
}

/**
 * Create the Supabase client and adopt its session (after the OAuth redirect, or a stored one).
 * Supabase refreshes its own tokens; we forward them to the API client without a refresh
 * token so that only one party ever spends a (single-use) refresh token.
 * @param {{supabase_url: string, supabase_anon_key: string}} config
 * @param {import("./client.js").DynamicMcpClient} api
 */
export async function initSupabase(config, api) {
  if (!window.supabase) await loadScript("vendor/supabase.umd.js");
  supabaseClient = window.supabase.createClient(config.supabase_url, config.supabase_anon_key, {
    auth: { flowType: "pkce", detectSessionInUrl: true, persistSession: true, autoRefreshToken: true },
  });
  const adopt = (session) =>
    api.setTokens(session ? { access_token: session.access_token, refresh_token: null, expires_at: session.expires_at } : null);
  supabaseClient.auth.onAuthStateChange((_event, session) => adopt(session));
  const { data } = await supabaseClient.auth.getSession();
  adopt(data.session);
  return Boolean(data.session);
}

export async function signInWithGoogle() {
  const redirectTo = new URL("/app/", window.location.href).href;
  const { error } = await supabaseClient.auth.signInWithOAuth({ provider: "google", options: { redirectTo } });
  if (error) throw error;
}

export async function signOutSupabase() {
  if (supabaseClient) await supabaseClient.auth.signOut();
}

/**
 * The token of a sign-in link (`…/app/#sign-in=TOKEN`), or the text itself when it is a bare token.
 * @param {string} text
 */
export function tokenFromLink(text) {
  const value = text.trim();
  const match = value.match(/#sign-in=([A-Za-z0-9_-]+)/);
  return match ? match[1] : value;
}

/**
 * The token of the sign-in link this page was opened with, removed from the address bar (and
 * so from the history) before it is used: a link works once.
 */
export function takeLinkToken() {
  const match = window.location.hash.match(/^#sign-in=([A-Za-z0-9_-]+)$/);
  if (!match) return null;
  history.replaceState(null, "", window.location.pathname + window.location.search);
  return match[1];
}
