// Test parts for the notifier: loopback HTTP receivers, a store on a SQLite file in a temp dir, findings.
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Finding, FindingChange, FindingKind, Severity } from '../../src/domain/findings.ts';
import type { NotifierOptions } from '../../src/notify/notifier.ts';
import { Notifier } from '../../src/notify/notifier.ts';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.ts';

export interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

export interface Answer {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

/** What the receiver answers to its n-th request (0-based); 'hang' never answers. */
export type Responder = (req: Received, n: number) => Answer | 'hang';

export interface Receiver {
  url: string;
  port: number;
  received: Received[];
  close(): Promise<void>;
}

export async function startReceiver(respond: Responder = () => ({ status: 200 }), port = 0): Promise<Receiver> {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const entry = { headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() };
      received.push(entry);
      const answer = respond(entry, received.length - 1);
      if (answer === 'hang') return;
      res.writeHead(answer.status, answer.headers);
      res.end(answer.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const actual = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${actual}/hook`,
    port: actual,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function tempStore(): { store: SqliteStore; path: string; cleanup(): Promise<void> } {
  const dir = mkdtempSync(join(tmpdir(), 'analyst-notify-'));
  const path = join(dir, 'analyst.db');
  const store = new SqliteStore(path);
  return {
    store,
    path,
    async cleanup() {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const RUN = { id: 'run-1', name: 'resnet50', project: 'vision' };

export function finding(kind: FindingKind, severity: Severity, overrides: Partial<Finding> = {}): Finding {
  return {
    id: `f-${kind}`,
    run: RUN.id,
    kind,
    severity,
    status: 'open',
    step: 1200,
    epoch: 3,
    message: `${kind} seen at step 1200`,
    evidence: { loss: NaN, best_loss: 0.4321987, grad_norm: 1e6 },
    actions: ['lower lr from 0.5 to 0.05', 'enable gradient clipping at 1.0'],
    created_at: 1,
    updated_at: 1,
    resolved_at: null,
    ...overrides,
  };
}

export function raised(f: Finding): FindingChange {
  return { type: 'finding_raised', finding: f };
}

/** Fast retries and short timeouts, a fixed jitter, loopback allowed. */
export const FAST = {
  allowPrivate: true,
  retry: { baseMs: 40, capMs: 200, maxAgeMs: 60_000 },
  timeoutMs: 1_000,
  random: () => 1,
} satisfies Partial<NotifierOptions>;

export function makeNotifier(store: SqliteStore, options: Partial<NotifierOptions> = {}): Promise<Notifier> {
  return Notifier.open({
    store,
    baseUrl: 'http://analyst.test:8787',
    ...FAST,
    ...options,
  });
}

/**
 * Waits until `check` returns a truthy value, looking again every few milliseconds. No deadline of
 * its own: how long it takes depends on the machine's load, and the test's timeout catches a hang.
 */
export async function until<T>(check: () => T | undefined | false | Promise<T | undefined | false>): Promise<T> {
  for (;;) {
    const value = await check();
    if (value) return value;
    await new Promise((r) => setTimeout(r, 10));
  }
}

export function subscribe(notifier: Notifier, url: string, extra: Record<string, unknown> = {}) {
  return notifier.createWebhook({
    url,
    secret: 'test-secret-0123456789',
    min_severity: 'info',
    format: 'json',
    include_analysis: false,
    ...extra,
  });
}

/** Ends a child process with SIGKILL (as a crash would) and waits until it is gone. */
export function killChild(child: ChildProcess): Promise<void> {
  return new Promise((done) => {
    if (child.exitCode !== null || child.signalCode !== null) return done();
    child.once('exit', () => done());
    child.kill('SIGKILL');
  });
}
