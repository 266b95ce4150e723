/** A small HTTP client for the commands that talk to a running server. */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { text } from 'node:stream/consumers';

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

export interface RequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
}

/**
 * Sends a request with the token and turns the ways it fails into messages a person can act on:
 * an unreachable server (exit 2, with `hint` on what to do), an unknown run (3), any other error.
 * Resolves with the answer's body, unread.
 *
 * node:http rather than fetch: fetch's HTTP parser is WebAssembly, and its optimising compile,
 * started by the first answer, held the process for a quarter of a second after its work was done
 * (loading fetch took another 0.1 s), half the time of a command such as `analyst status`.
 */
export async function send(base: string, path: string, init: RequestOptions = {}, hint = 'pass --server URL'): Promise<IncomingMessage> {
  const headers: Record<string, string> = { ...init.headers };
  if (process.env.ANALYST_TOKEN) headers.authorization = `Bearer ${process.env.ANALYST_TOKEN}`;
  if (init.body && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json';
  let res: IncomingMessage;
  try {
    const url = new URL(`${base}${path}`);
    // TLS is loaded only for a server that needs it.
    const open = url.protocol === 'https:' ? (await import('node:https')).request : httpRequest;
    res = await new Promise<IncomingMessage>((answered, failed) => {
      const req = open(url, { method: init.method ?? 'GET', headers }, answered);
      req.once('error', failed);
      req.end(init.body);
    });
  } catch (err) {
    throw new CliError(`cannot reach the server at ${base} (${(err as Error).message}); start it with \`analyst serve\` or ${hint}`, 2);
  }
  const status = res.statusCode ?? 0;
  if (status < 200 || status > 299) {
    const body = await text(res);
    const msg = (body ? JSON.parse(body) : {})?.error?.message ?? `HTTP ${status}`;
    throw new CliError(`${msg} (HTTP ${status})`, status === 404 ? 3 : 1);
  }
  return res;
}

export async function request<T>(base: string, path: string, init: RequestOptions = {}): Promise<T> {
  const body = await text(await send(base, path, init));
  return (body ? JSON.parse(body) : {}) as T;
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
