import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startChildServer } from '../helpers/child-server.ts';
import { api } from '../helpers/server.ts';

const dir = mkdtempSync(join(tmpdir(), 'analyst-snapshots-'));
const db = join(dir, 'analyst.db');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const EVERY = 64;
const env = { ANALYST_SNAPSHOT_EVERY: String(EVERY), ANALYST_MAX_ACTIVE_RUNS: '1' };

/** A run that learns, overfits, diverges with exploding gradients and ends in NaN: findings raised and updated throughout. */
function event(i: number) {
  const base = 2 * Math.exp(-i / 150) + 0.3 + 0.02 * Math.sin(i * 1.3);
  const loss = i >= 850 ? 'NaN' : i >= 600 ? base * 1.01 ** (i - 600) : base;
  const values: Record<string, number | string> = { loss, lr: 0.1, grad_norm: (1 + 0.1 * Math.sin(i)) * (i >= 700 ? 1.05 ** (i - 700) : 1) };
  if (i % 30 === 29) values.val_loss = i < 300 ? 1.2 * Math.exp(-i / 200) + 0.5 : 1.2 * Math.exp(-1.5) + 0.5 + 0.002 * (i - 300);
  return { type: 'metrics', step: i, epoch: Math.floor(i / 30), values };
}

async function feed(url: string, run: string, from: number, to: number) {
  for (let i = from; i < to; i += 50) {
    const events = Array.from({ length: Math.min(50, to - i) }, (_, k) => event(i + k));
    expect((await api(url, `/runs/${run}/events`, { method: 'POST', json: events })).status).toBe(200);
  }
}

/** What a person reads of the findings: everything but ids and wall-clock times. */
async function findings(url: string, run: string) {
  const { body } = await api(url, `/runs/${run}/findings`);
  return body.findings
    .map(({ id: _i, run: _r, created_at: _c, updated_at: _u, resolved_at: _z, ...f }: any) => f)
    .sort((a: any, b: any) => a.kind.localeCompare(b.kind));
}

async function rebuilt(url: string): Promise<Record<string, number>> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^analyst_context_rebuild_events_total\{from="(\w+)"\} (\S+)$/gm)) out[m[1]] = Number(m[2]);
  return out;
}

const create = async (url: string, name: string) => (await api(url, '/runs', { method: 'POST', json: { name, project: 'snapshots' } })).body.id as string;

describe('run state snapshots', () => {
  it('brings runs back from a snapshot and its tail, after a crash, an eviction or a shutdown, with the findings of a run that never stopped', { timeout: 120_000 }, async () => {
    // A crash (SIGKILL) half-way: only the snapshots taken every EVERY events are there.
    const first = await startChildServer(db, env);
    const crashed = await create(first.url, 'crashed');
    await feed(first.url, crashed, 0, 450);
    await first.kill('SIGKILL');

    const second = await startChildServer(db, env);
    let steady = '';
    try {
      await feed(second.url, crashed, 450, 900);
      const afterCrash = await rebuilt(second.url);
      expect(afterCrash.start ?? 0).toBe(0);
      expect(afterCrash.snapshot).toBeGreaterThan(0);
      expect(afterCrash.snapshot).toBeLessThanOrEqual(EVERY + 50);
      // The same run fed without a stop, next to another run that evicts it (one run in memory) after every batch.
      steady = await create(second.url, 'steady');
      const other = await create(second.url, 'other');
      for (let i = 0; i < 900; i += 50) {
        await feed(second.url, steady, i, i + 50);
        await feed(second.url, other, i, i + 50);
      }
      const expected = await findings(second.url, steady);
      expect(expected.map((f: any) => f.kind)).toEqual(expect.arrayContaining(['divergence', 'nan_loss', 'overfitting']));
      expect(await findings(second.url, crashed)).toEqual(expected);
      expect(await findings(second.url, other)).toEqual(expected);
      // Evicted runs came back from their snapshots, not from their start.
      expect((await rebuilt(second.url)).start ?? 0).toBe(0);
    } finally {
      await second.kill('SIGTERM');
    }

    // After a shutdown every run in memory was snapshotted: nothing to replay at all.
    const third = await startChildServer(db, env);
    try {
      expect(await findings(third.url, crashed)).toEqual(await findings(third.url, steady));
      const status = (await api(third.url, `/runs/${crashed}`)).body;
      expect(status.step).toBe(899);
      expect(await rebuilt(third.url)).toMatchObject({ snapshot: 0 });
    } finally {
      await third.kill('SIGTERM');
    }
  });
});
