// A fetch for the OpenAI client that keeps the server's own words when its error body is not OpenAI's shape.

/**
 * The client reads an error's message from `{"error": {"message"}}` only; vLLM answers
 * `{"object": "error", "message"}`, FastAPI servers `{"detail": [...]}`, Ollama and LM Studio `{"error": "text"}`, and LM Studio
 * answers an unknown path with 200 and an `error` field. Returns the message to show, or undefined
 * when the body is an ordinary answer or already in OpenAI's shape.
 */
function serverMessage(body: unknown, ok: boolean): string | undefined {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return undefined;
  const b = body as { error?: unknown; message?: unknown; choices?: unknown; data?: unknown };
  if (ok && (b.choices !== undefined || b.data !== undefined)) return undefined;
  if (typeof b.error === 'string') return b.error;
  if (b.error && typeof b.error === 'object') {
    const m = (b.error as { message?: unknown }).message;
    return ok ? (typeof m === 'string' ? m : JSON.stringify(b.error)) : undefined;
  }
  if (!ok && typeof b.message === 'string') return b.message;
  if (!ok && (b as { detail?: unknown }).detail !== undefined) return detailText((b as { detail: unknown }).detail);
  return undefined;
}

/** FastAPI's validation answer (servers built on it): `detail` as text, or a list of `{loc, msg}`. */
function detailText(detail: unknown): string {
  if (typeof detail === 'string') return detail;
  if (Array.isArray(detail)) {
    return detail
      .slice(0, 5)
      .map((d) => {
        const item = d as { loc?: unknown; msg?: unknown };
        return `${Array.isArray(item.loc) ? `${item.loc.join('.')}: ` : ''}${typeof item.msg === 'string' ? item.msg : JSON.stringify(d)}`;
      })
      .join('; ');
  }
  return JSON.stringify(detail);
}

const DROPPED = new Set(['content-length', 'content-encoding', 'transfer-encoding']);

function headersOf(res: Response): Headers {
  const h = new Headers();
  res.headers.forEach((v, k) => {
    if (!DROPPED.has(k)) h.set(k, v);
  });
  return h;
}

export const serverErrorFetch: typeof fetch = async (input, init) => {
  const res = await fetch(input, init);
  if (!(res.headers.get('content-type') ?? '').includes('json')) return res;
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const message = serverMessage(body, res.ok);
  if (message === undefined) return new Response(text, { status: res.status, statusText: res.statusText, headers: headersOf(res) });
  // An answer that is an error is one: 404, as the path is what such servers complain about.
  return new Response(JSON.stringify({ error: { message } }), { status: res.ok ? 404 : res.status, headers: headersOf(res) });
};
