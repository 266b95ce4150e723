// The watcher's side of the HTTP API: find or create the run, post events in batches.
import type { EventInput } from '../../domain/events.ts';
import { stringifyJson } from '../../domain/values.ts';

/** A failure worth retrying later: the server is down, restarting or overloaded. */
export class RetryableError extends Error {}

/** A refusal that retrying cannot fix (bad token, invalid events, a run that is gone). */
export class RejectedError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

/** Small enough for any server's batch limit, large enough that a backlog goes in few commits. */
const BATCH = 1000;

export class ServerClient {
  constructor(
    private readonly base: string,
    private readonly token?: string,
  ) {}

  /** A new run, unless `key` made one before: then that run, so a retried create makes one run. */
  async createRun(name: string, project: string, key: string): Promise<string> {
    const body = await this.call('/runs', { name, project }, { 'idempotency-key': key });
    return (body as { id: string }).id;
  }

  async post(run: string, events: EventInput[]): Promise<void> {
    for (let i = 0; i < events.length; i += BATCH) {
      await this.call(`/runs/${encodeURIComponent(run)}/events`, { events: events.slice(i, i + BATCH) });
    }
  }

  private async call(path: string, body: unknown, extra: Record<string, string> = {}): Promise<unknown> {
    const headers: Record<string, string> = { 'content-type': 'application/json', ...extra };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    let res: Response;
    try {
      res = await fetch(`${this.base}${path}`, { method: 'POST', headers, body: stringifyJson(body) });
    } catch (err) {
      throw new RetryableError(`cannot reach ${this.base}: ${(err as Error & { cause?: Error }).cause?.message ?? (err as Error).message}`);
    }
    const text = await res.text();
    if (res.ok) return text ? JSON.parse(text) : {};
    const message = `${path}: HTTP ${res.status} ${text.slice(0, 500)}`;
    if (res.status >= 500 || res.status === 429) throw new RetryableError(message);
    throw new RejectedError(message, res.status);
  }
}
