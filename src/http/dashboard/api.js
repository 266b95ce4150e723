// Same-origin API calls, carrying the bearer token the server may ask for (asked once, kept in localStorage).

const TOKEN_KEY = 'training-analyst-token';

export class HttpError extends Error {
  constructor(status, message, path) {
    super(message);
    this.status = status;
    this.path = path;
  }
}

export function savedToken() {
  return localStorage.getItem(TOKEN_KEY) ?? '';
}

let pending = null;

/** Shows the token dialog; every request that got a 401 meanwhile waits for the same answer. */
export function askToken(reason) {
  if (pending) return pending;
  const dialog = document.getElementById('token-dialog');
  const input = document.getElementById('token-input');
  document.getElementById('token-reason').textContent = reason;
  input.value = savedToken();
  pending = new Promise((resolve) => {
    dialog.addEventListener(
      'close',
      () => {
        pending = null;
        const ok = dialog.returnValue === 'ok' && input.value.trim() !== '';
        if (ok) localStorage.setItem(TOKEN_KEY, input.value.trim());
        resolve(ok);
      },
      { once: true },
    );
    dialog.showModal();
  });
  return pending;
}

async function errorMessage(res) {
  const text = await res.text().catch(() => '');
  try {
    const body = JSON.parse(text);
    return body?.error?.message ?? body?.message ?? text;
  } catch {
    return text || res.statusText;
  }
}

/**
 * fetch with the token; a 401 asks for the token and retries until it is accepted or the user
 * cancels. Any other status outside 2xx becomes an HttpError with the server's message.
 */
export async function request(path, { method = 'GET', json, headers = {}, signal } = {}) {
  for (;;) {
    const h = new Headers(headers);
    const token = savedToken();
    if (token) h.set('authorization', `Bearer ${token}`);
    if (json !== undefined) h.set('content-type', 'application/json');
    const res = await fetch(path, { method, headers: h, signal, body: json === undefined ? undefined : JSON.stringify(json) });
    if (res.status === 401) {
      const reason = token ? 'The saved token was refused; enter the current one.' : 'This server asks for a token (ANALYST_TOKEN).';
      if (await askToken(reason)) continue;
    }
    if (!res.ok) throw new HttpError(res.status, await errorMessage(res), path);
    return res;
  }
}

export async function getJson(path, opts) {
  return (await request(path, opts)).json();
}

export async function postJson(path, json, opts = {}) {
  return (await request(path, { ...opts, method: 'POST', json })).json();
}

/** The sentence a panel shows when a door of the service is missing or failing. */
export function unavailable(what, error) {
  if (error instanceof HttpError && error.status === 404) return `${what} is not available on this server (${error.path} answered 404).`;
  return `${what} failed: ${error.message}`;
}

export function qs(params) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') p.set(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : '';
}

export async function patchJson(path, json) {
  return (await request(path, { method: 'PATCH', json })).json();
}

export async function deleteJson(path) {
  return (await request(path, { method: 'DELETE' })).json();
}
