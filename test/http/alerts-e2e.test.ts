import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, testServer, type TestServer } from '../helpers/server.ts';
import { until } from '../streams/clients.ts';

interface Received {
  headers: IncomingMessage['headers'];
  raw: string;
}

let s: TestServer;
const received: Received[] = [];
let receiver: ReturnType<typeof createServer>;
let receiverUrl = '';

beforeAll(async () => {
  receiver = createServer((req, res) => {
    let raw = '';
    req.on('data', (d) => (raw += d));
    req.on('end', () => {
      received.push({ headers: req.headers, raw });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((ok) => receiver.listen(0, '127.0.0.1', ok));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  s = await testServer({ ANALYST_WEBHOOK_ALLOW_PRIVATE: '1' });
});
afterAll(async () => {
  await s.stop();
  receiver.close();
});

describe('alerts end to end', () => {
  it('delivers a signed finding.raised when ingest makes the loss NaN', async () => {
    const hook = await api(s.url, '/webhooks', { method: 'POST', json: { url: receiverUrl, secret: 'a-long-enough-secret', min_severity: 'warning' } });
    expect(hook.status).toBe(201);
    const run = (await api(s.url, '/runs', { method: 'POST', json: { name: 'e2e', project: 'alerts' } })).body;
    const events = Array.from({ length: 12 }, (_, i) => ({ type: 'metrics', step: i, values: { loss: i < 10 ? 1 / (i + 1) : 'NaN' } }));
    await api(s.url, `/runs/${run.id}/events`, { method: 'POST', json: events });
    await until(() => received.length > 0);
    const first = received[0];
    const body = JSON.parse(first.raw);
    expect(first.headers['x-analyst-event']).toBe('finding.raised');
    expect(body.finding.kind).toBe('nan_loss');
    expect(body.run).toMatchObject({ id: run.id, name: 'e2e', project: 'alerts' });
    expect(body.run.url).toBe(`${s.url}/runs/${run.id}`);
    const expected = createHmac('sha256', 'a-long-enough-secret').update(first.raw).digest('hex');
    expect(first.headers['x-analyst-signature']).toBe(`sha256=${expected}`);
    const alerts = await api(s.url, `/alerts?run=${run.id}`);
    expect(alerts.body.alerts.map((a: any) => a.type)).toContain('finding.raised');
  });
});
