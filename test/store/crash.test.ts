import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startChildServer } from '../helpers/child-server.ts';

/**
 * Durability: the server is SIGKILLed at random moments while batches stream in. Every batch it
 * acknowledged must be there after a restart, and a batch retried after the crash lands once.
 */
describe('crash safety', () => {
  it('keeps every acknowledged event, none twice, across SIGKILLs', { timeout: 120_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'analyst-crash-'));
    const db = join(dir, 'analyst.db');
    const acked = new Set<string>();
    let runId = '';
    let next = 0;
    try {
      for (let trial = 0; trial < 4; trial++) {
        const server = await startChildServer(db);
        if (!runId) {
          const res = await fetch(`${server.url}/runs`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ name: 'crash', project: 'durability' }),
          });
          runId = ((await res.json()) as { id: string }).id;
        }
        const killAfter = 50 + Math.floor(Math.random() * 400);
        const killer = setTimeout(() => void server.kill('SIGKILL'), killAfter);
        // Send until the connection breaks; a batch that failed mid-flight is retried after restart.
        let pending: string[] | null = null;
        for (;;) {
          const ids: string[] = pending ?? Array.from({ length: 200 }, () => `e${next++}`);
          pending = ids;
          try {
            const res = await fetch(`${server.url}/runs/${runId}/events`, {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify({
                events: ids.map((id, k) => ({ type: 'metrics', event_id: id, step: Number(id.slice(1)), values: { loss: 1 / (k + 1) } })),
              }),
            });
            if (res.status !== 200) throw new Error(`status ${res.status}`);
            await res.json();
            for (const id of ids) acked.add(id);
            pending = null;
          } catch {
            break;
          }
        }
        clearTimeout(killer);
        await server.kill('SIGKILL');
        if (pending) {
          // The trainer's retry after the crash: it must land once whether or not the first try committed.
          const again = await startChildServer(db);
          const res = await fetch(`${again.url}/runs/${runId}/events`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ events: pending.map((id) => ({ type: 'metrics', event_id: id, step: Number(id.slice(1)), values: { loss: 0.5 } })) }),
          });
          expect(res.status).toBe(200);
          for (const id of pending) acked.add(id);
          await again.kill('SIGKILL');
        }
      }
      const final = await startChildServer(db);
      const seen: string[] = [];
      let after = 0;
      for (;;) {
        const res = await fetch(`${final.url}/runs/${runId}/events?after_seq=${after}&limit=10000`);
        const body = (await res.json()) as { events: Array<{ seq: number; event_id?: string }>; last_seq: number };
        if (!body.events.length) break;
        body.events.forEach((e, i) => expect(e.seq).toBe(after + i + 1));
        for (const e of body.events) if (e.event_id) seen.push(e.event_id);
        after = body.last_seq;
      }
      await final.kill('SIGTERM');
      expect(acked.size).toBeGreaterThan(0);
      expect(new Set(seen).size).toBe(seen.length);
      const stored = new Set(seen);
      const lost = [...acked].filter((id) => !stored.has(id));
      expect(lost).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
