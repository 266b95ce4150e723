// A replica killed while it sends a webhook delivery: another replica sends it, under the same id, once the claim runs out.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { startChildServer } from '../helpers/child-server.ts';
import { api } from '../helpers/server.ts';
import { postgresUnavailable, testDatabase } from '../helpers/test-db.ts';
import { until } from '../streams/clients.ts';

const unavailable = await postgresUnavailable();

describe.skipIf(unavailable)(`webhook deliveries across replicas${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  it('takes over a delivery whose replica died mid-send and delivers it once more under the same id', { timeout: 120_000 }, async () => {
    const db = await testDatabase('postgres');
    cleanups.push(db.cleanup);
    // The first request is held unanswered (its sender dies with it); later ones are answered.
    const requests: string[] = [];
    let first!: (id: string) => void;
    const firstHeld = new Promise<string>((resolve) => (first = resolve));
    let second!: (id: string) => void;
    const secondSeen = new Promise<string>((resolve) => (second = resolve));
    const server = createServer((req: IncomingMessage, res: ServerResponse) => {
      req.resume();
      req.on('end', () => {
        const id = String(req.headers['x-analyst-delivery']);
        requests.push(id);
        if (requests.length === 1) return first(id);
        res.end('ok');
        second(id);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const hookUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    const env = { ANALYST_WEBHOOK_ALLOW_PRIVATE: '1', ANALYST_WEBHOOK_TIMEOUT: '2' };

    const doomed = await startChildServer(db.url, env);
    cleanups.push(() => doomed.kill());
    const hook = await api(doomed.url, '/webhooks', { method: 'POST', json: { url: hookUrl } });
    expect(hook.status).toBe(201);
    const run = (await api(doomed.url, '/runs', { method: 'POST', json: { name: 'nan', project: 'takeover' } })).body.id as string;
    const events = [1, 2, 3].map((step) => ({ type: 'metrics', step, values: { loss: step === 3 ? 'NaN' : 1 / step } }));
    expect((await api(doomed.url, `/runs/${run}/events`, { method: 'POST', json: events })).status).toBe(200);
    const held = await firstHeld;

    // Started only now, the survivor finds the delivery claimed by the replica about to die.
    const survivor = await startChildServer(db.url, env);
    cleanups.push(() => survivor.kill());
    await doomed.kill('SIGKILL');
    expect(await secondSeen).toBe(held);
    // Recorded once the survivor has its answer.
    const delivery = await until(async () => {
      const { body } = await api(survivor.url, `/webhooks/${hook.body.id}/deliveries`);
      const d = body.deliveries.find((x: { id: string }) => x.id === held);
      return d?.status === 'delivered' ? d : undefined;
    });
    expect(delivery.attempts).toBe(1);
  });
});
