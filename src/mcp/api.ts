// How the MCP tools reach the service: its own HTTP API, over the network or in process.

/** The service's answer to a request the tools made: a 4xx / 5xx with its message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface ServiceApi {
  get(path: string): Promise<unknown>;
  post(path: string, body: unknown): Promise<unknown>;
}

/** Reads a service answer; a refusal becomes an ApiError with the service's own message. */
export async function readAnswer(res: Response): Promise<unknown> {
  const text = await res.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : {};
  } catch {
    body = { error: { message: text.slice(0, 300) } };
  }
  if (!res.ok) {
    const message = (body as { error?: { message?: string } })?.error?.message ?? `HTTP ${res.status}`;
    throw new ApiError(res.status, message);
  }
  return body;
}

/** A service at `base`, called with `fetchImpl` (the network's fetch, or an app's own request handler). */
export function serviceApi(base: string, headers: Record<string, string>, fetchImpl: (url: string, init: RequestInit) => Promise<Response> = fetch): ServiceApi {
  const call = async (path: string, init: RequestInit) => readAnswer(await fetchImpl(`${base}${path}`, { ...init, headers: { accept: 'application/json', ...headers, ...(init.headers as Record<string, string>) } }));
  return {
    get: (path) => call(path, { method: 'GET' }),
    post: (path, body) => call(path, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
  };
}
