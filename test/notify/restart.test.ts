// At-least-once across a crash: a notifier killed with SIGKILL mid-delivery loses nothing, and the
// next process delivers what is due at once, under the same delivery ids.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { Answer } from './helpers.ts';
import { killChild, startReceiver, until } from './helpers.ts';

const FIXTURE = resolve(import.meta.dirname, 'fixtures/notifier-process.ts');
const ROOT = resolve(import.meta.dirname, '../..');

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

async function startProcess(mode: 'enqueue' | 'deliver', dbPath: string, url = ''): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, mode, dbPath, url], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  cleanups.push(() => killChild(child));
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  await new Promise<void>((ok, fail) => {
    child.stdout!.on('data', (d) => String(d).includes('ready') && ok());
    child.once('exit', (code) => fail(new Error(`${mode} process exited with ${code}: ${stderr}`)));
  });
  return child;
}

describe('delivery across a crash', () => {
  it('delivers every pending alert after SIGKILL and restart, none lost, same delivery ids', async () => {
    let answering = false;
    // Before the crash the receiver accepts requests and never answers: they are in flight.
    const rx = await startReceiver((): Answer | 'hang' => (answering ? { status: 200 } : 'hang'));
    // Only the path: each notifier process opens the store itself.
    const dir = mkdtempSync(join(tmpdir(), 'analyst-notify-'));
    const t = { path: join(dir, 'analyst.db') };
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }), () => rx.close());

    const first = await startProcess('enqueue', t.path, rx.url);
    await until(() => rx.received.length === 5);
    const inFlightIds = new Set(rx.received.map((r) => r.headers['x-analyst-delivery']));
    await killChild(first);
    expect(first.signalCode).toBe('SIGKILL');

    const view = new Database(t.path, { readonly: true });
    const pending = view.prepare(`SELECT id, status FROM webhook_deliveries`).all() as Array<{ id: string; status: string }>;
    // The deliveries were committed with the ingest write they belong to.
    expect(view.prepare('SELECT n FROM ingested').all()).toEqual([{ n: 5 }]);
    view.close();
    expect(pending).toHaveLength(5);
    expect(pending.every((d) => d.status === 'pending')).toBe(true);
    expect(new Set(pending.map((d) => d.id))).toEqual(inFlightIds);

    answering = true;
    const before = rx.received.length;
    const second = await startProcess('deliver', t.path);
    cleanups.push(() => killChild(second));
    // Due deliveries go out as the worker starts, not after a back-off (an hour in this process).
    await until(() => rx.received.length - before >= 5);
    const afterRestart = rx.received.slice(before);
    expect(new Set(afterRestart.map((r) => r.headers['x-analyst-delivery']))).toEqual(inFlightIds);
    expect(new Set(afterRestart.map((r) => JSON.parse(r.body).finding.kind))).toEqual(
      new Set(['nan_loss', 'divergence', 'plateau', 'overfitting', 'oscillation']),
    );

    const check = new Database(t.path, { readonly: true });
    await until(
      () => (check.prepare(`SELECT COUNT(*) AS n FROM webhook_deliveries WHERE status = 'delivered'`).get() as { n: number }).n === 5);
    check.close();
    // All delivered, nothing pending: the second process sends nothing more, and sent nothing twice.
    expect(rx.received.length - before).toBe(5);
  });
});
