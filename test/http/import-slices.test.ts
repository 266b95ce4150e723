import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, testServer, type TestServer } from '../helpers/server.ts';

let s: TestServer;
beforeAll(async () => {
  s = await testServer();
});
afterAll(async () => s.stop());

describe('a big import', () => {
  it('goes in a slice at a time: other requests are answered while it runs, and it ends as one import', async () => {
    const run = (await api(s.url, '/runs', { method: 'POST', json: { name: 'big-file', project: 'imports' } })).body.id;
    const lines = Array.from({ length: 20_000 }, (_, i) => JSON.stringify({ step: i, loss: 2 / (1 + i / 100) })).join('\n') + '\n';
    const order: string[] = [];
    let health: Promise<void> | undefined;
    // As soon as the first slice is committed (and published), another client asks something.
    const unsubscribe = s.service.bus.subscribe(run, () => {
      health ??= api(s.url, '/healthz').then((r) => {
        expect(r.status).toBe(200);
        order.push('healthz');
      });
    });
    const imported = await api(s.url, `/runs/${run}/import?filename=metrics.jsonl`, { method: 'POST', body: lines });
    order.push('import');
    unsubscribe();
    await health;
    expect(order).toEqual(['healthz', 'import']);
    expect(imported.body).toMatchObject({ accepted: 20_000, duplicates: 0, status: 'completed' });
    const again = await api(s.url, `/runs/${run}/import?filename=metrics.jsonl`, { method: 'POST', body: lines });
    expect(again.body).toMatchObject({ accepted: 0, duplicates: 20_000 });
  });

  it('gives the answer, events and findings of the same file written in one slice, however it is sliced', async () => {
    // Falls, then diverges, ends on a NaN loss (a failed run), with a line that cannot be read.
    const lines = Array.from({ length: 600 }, (_, i) => {
      const loss = i < 300 ? 2 / (1 + i / 20) : 0.13 * 1.02 ** (i - 300);
      return JSON.stringify({ step: i, loss: i === 599 ? 'nan' : loss, grad_norm: i < 400 ? 1 : 10 ** ((i - 400) / 40), lr: 0.5 });
    });
    lines.splice(250, 0, '{"step": broken');
    const body = lines.join('\n') + '\n';
    const small = await testServer({ ANALYST_MAX_BATCH_EVENTS: '7' });
    try {
      const imports = [];
      for (const server of [s, small]) {
        const run = (await api(server.url, '/runs', { method: 'POST', json: { name: 'sliced' } })).body.id;
        const answer = await api(server.url, `/runs/${run}/import?filename=metrics.jsonl`, { method: 'POST', body });
        expect(answer.status).toBe(200);
        const findings = (await api(server.url, `/runs/${run}/findings`)).body.findings.map(({ kind, severity, status, step, message, evidence }: any) => ({ kind, severity, status, step, message, evidence }));
        // The file's events in order, then the service's own (findings), which each slice appends
        // after its events: where they fall in the log depends on the slicing, what they say does not.
        // Times are left out: an untimed file's events take the time they were read.
        const stored = await server.service.store.eventsAfter(run, 0, 10_000);
        const events = stored.filter((e) => e.event_id?.startsWith('import:')).map(({ type, event_id, ...rest }) => ({ type, event_id, values: (rest as { values?: unknown }).values }));
        const changes = stored.filter((e) => e.type.startsWith('finding_')).map((e) => ({ type: e.type, kind: (e as { finding?: { kind: string } }).finding?.kind }));
        imports.push({ answer: answer.body, findings, events, changes, last: stored.at(-1)?.type });
      }
      const [whole, sliced] = imports;
      expect(whole.answer).toMatchObject({ accepted: 600, duplicates: 0, status: 'failed', read: { skipped: 1 } });
      expect(whole.findings.map((f: any) => f.kind)).toEqual(expect.arrayContaining(['nan_loss', 'divergence']));
      expect(whole.events.filter((e: any) => e.type === 'metrics')).toHaveLength(600);
      expect(whole.changes.length).toBeGreaterThan(1);
      expect(whole.last).toBe('run_finished');
      expect(sliced).toEqual(whole);
    } finally {
      await small.stop();
    }
  });
});
