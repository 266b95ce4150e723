import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, expect, it } from 'vitest';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.ts';

const BEFORE = resolve(import.meta.dirname, '../fixtures/store/before-module-tables.sql');

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function dbPath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'module-tables-'));
  dirs.push(dir);
  return join(dir, 'analyst.db');
}

it('opens a database whose module tables its modules created, with every row they kept, and writes on', async () => {
  const path = dbPath();
  const old = new Database(path);
  old.exec(readFileSync(BEFORE, 'utf8'));
  old.close();

  const store = new SqliteStore(path);
  try {
    expect((await store.eventsAfter('before', 0, 10)).map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(await store.webhooks.list()).toMatchObject([{ id: 'wh1', url: 'https://hooks.example.com/x', secret: 'secret-0123456789abcdef' }]);
    expect(await store.outbox.listAlerts({ limit: 10 })).toMatchObject([{ id: 'a1', type: 'run.finished', run: { id: 'before' } }]);
    expect(await store.outbox.getDelivery('d1')).toMatchObject({ webhook_id: 'wh1', alert_id: 'a1', status: 'pending' });
    expect(await store.usage.day('2026-01-01')).toMatchObject([{ provider: 'openai', model: 'gpt-4o', calls: 2, prompt_tokens: 100, cost_usd: 0.5 }]);
    expect(await store.suggestions.byRun('before')).toMatchObject([{ id: 's1', parameter: 'lr', proposed: 0.01, status: 'proposed' }]);
    expect(await store.sources.get('src1')).toMatchObject({ url: 'http://upstream.example.com/stream', run: 'before', state: 'connecting' });
    expect(await store.control.pending('before')).toMatchObject([{ id: 'c1', action: 'pause' }]);

    // The tables take new rows after the same ones, and deleting the run still finds them all.
    const next = await store.outbox.insertAlert({ id: 'a2', type: 'run.failed', created_at: 2000, severity: 'critical', previous_severity: null, message: 'failed', run: { id: 'before', name: 'resnet', project: 'vision', url: '' }, finding: null, detail: null, analysis: null });
    expect(next.seq).toBe(2);
    const removed = await store.deleteRun('before', 3000);
    expect(removed).toMatchObject({ events: 3, alerts: 2, webhook_deliveries: 1, analyst_suggestions: 1, sources: 1, control_requests: 1 });
  } finally {
    await store.close();
  }
});
