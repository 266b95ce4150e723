/** A small HTTP client for the commands that talk to a running server. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

/** `--server`, else ANALYST_URL, else the local server's port; an empty variable counts as unset. */
export function serverUrl(option?: string): string {
  return (option || process.env.ANALYST_URL || `http://127.0.0.1:${process.env.ANALYST_PORT || 8787}`).replace(/\/$/, '');
}

/**
 * Sends a request with the token and turns the ways it fails into messages a person can act on:
 * an unreachable server (exit 2, with `hint` on what to do), an unknown run (3), any other error.
 */
export async function send(base: string, path: string, init: RequestInit = {}, hint = 'pass --server URL'): Promise<Response> {
  const headers = new Headers(init.headers);
  if (process.env.ANALYST_TOKEN) headers.set('authorization', `Bearer ${process.env.ANALYST_TOKEN}`);
  if (init.body && !headers.has('content-type')) headers.set('content-type', 'application/json');
  let res: Response;
  try {
    res = await fetch(`${base}${path}`, { ...init, headers });
  } catch (err) {
    throw new CliError(`cannot reach the server at ${base} (${(err as Error).cause ?? (err as Error).message}); start it with \`analyst serve\` or ${hint}`, 2);
  }
  if (!res.ok) {
    const text = await res.text();
    const msg = (text ? JSON.parse(text) : {})?.error?.message ?? `HTTP ${res.status}`;
    throw new CliError(`${msg} (HTTP ${res.status})`, res.status === 404 ? 3 : 1);
  }
  return res;
}

export async function request<T>(base: string, path: string, init: RequestInit = {}): Promise<T> {
  const text = await (await send(base, path, init)).text();
  return (text ? JSON.parse(text) : {}) as T;
}

/** Prints rows as aligned columns, the way a person scans a list. */
export function table(rows: Array<Record<string, unknown>>, columns: string[]): string {
  const cells = rows.map((r) => columns.map((c) => format(r[c])));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i].length)));
  const line = (vals: string[]) => vals.map((v, i) => v.padEnd(widths[i])).join('  ').trimEnd();
  return [line(columns.map((c) => c.toUpperCase())), ...cells.map(line)].join('\n');
}

export function format(v: unknown): string {
  if (v === null || v === undefined) return '-';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : v.toPrecision(4);
  if (typeof v === 'string') return v;
  return JSON.stringify(v);
}
