// Webhook delivery against real loopback receivers: signing, retries, dead letters, time limits.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { Notifier } from '../../src/notify/notifier.ts';
import type { Receiver } from './helpers.ts';
import { RUN, finding, makeNotifier, raised, startReceiver, subscribe, tempStore, until } from './helpers.ts';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

async function setup(options: Parameters<typeof makeNotifier>[1] = {}): Promise<Notifier> {
  const t = tempStore();
  const notifier = await makeNotifier(t.store, options);
  cleanups.push(t.cleanup, () => notifier.stop());
  return notifier;
}

async function receiver(respond?: Parameters<typeof startReceiver>[0], port?: number): Promise<Receiver> {
  const r = await startReceiver(respond, port);
  cleanups.push(() => r.close());
  return r;
}

function deliveries(notifier: Notifier, webhookId: string) {
  return notifier.listDeliveries(webhookId);
}

/** What the worker would still send: a delivery that is not pending is never attempted again. */
async function pending(notifier: Notifier, webhookId: string) {
  return (await deliveries(notifier, webhookId)).filter((d) => d.status === 'pending');
}

describe('webhook delivery', () => {
  it('signs the exact body with HMAC-SHA256, as node:crypto computes it independently', async () => {
    const rx = await receiver();
    const notifier = await setup();
    const hook = await subscribe(notifier, rx.url);
    notifier.start();
    const before = Math.floor(Date.now() / 1000);
    await notifier.onFindingChanges(RUN, [raised(finding('nan_loss', 'critical'))], Date.now());
    const [req] = await until(() => rx.received.length === 1 && rx.received);
    const after = Math.ceil(Date.now() / 1000);

    const expected = `sha256=${createHmac('sha256', 'test-secret-0123456789').update(req.body).digest('hex')}`;
    const got = String(req.headers['x-analyst-signature']);
    expect(timingSafeEqual(Buffer.from(got), Buffer.from(expected))).toBe(true);
    // A tampered body would not verify.
    const tampered = createHmac('sha256', 'test-secret-0123456789').update(req.body.replace('critical', 'info')).digest('hex');
    expect(got).not.toBe(`sha256=${tampered}`);

    const body = JSON.parse(req.body);
    expect(req.headers['x-analyst-event']).toBe('finding.raised');
    expect(req.headers['content-type']).toBe('application/json');
    // The receiver has answered; the outcome is recorded a moment later.
    const row = await until(async () => (await deliveries(notifier, hook.id)).find((d) => d.status === 'delivered'));
    expect(req.headers['x-analyst-delivery']).toBe(row.id);
    // The timestamp a receiver checks against replays is inside the signed body too.
    expect(body.sent_at).toBe(Number(req.headers['x-analyst-timestamp']));
    expect(body.sent_at).toBeGreaterThanOrEqual(before);
    expect(body.sent_at).toBeLessThanOrEqual(after);
    expect(body).toMatchObject({
      type: 'finding.raised',
      severity: 'critical',
      run: { id: 'run-1', name: 'resnet50', project: 'vision', url: 'http://analyst.test:8787/runs/run-1' },
      finding: { kind: 'nan_loss', severity: 'critical', step: 1200, epoch: 3, actions: ['lower lr from 0.5 to 0.05', 'enable gradient clipping at 1.0'] },
    });
    // Non-finite evidence travels as a string rather than turning into null.
    expect(body.finding.evidence.loss).toBe('NaN');
    expect(row).toMatchObject({ status: 'delivered', attempts: 1, response_code: 200, last_error: null });
  });

  it('retries while the receiver is down and delivers once it is back, with the same delivery id', async () => {
    // Find a free port, then leave nothing listening on it: connections are refused.
    const probe = await startReceiver();
    const port = probe.port;
    await probe.close();
    const notifier = await setup();
    const hook = await subscribe(notifier, `http://127.0.0.1:${port}/hook`);
    notifier.start();
    await notifier.onFindingChanges(RUN, [raised(finding('divergence', 'critical'))], Date.now());

    const failing = await until(async () => (await deliveries(notifier, hook.id)).find((d) => d.attempts >= 3));
    expect(failing.status).toBe('pending');
    expect(failing.last_error).toMatch(/ECONNREFUSED/);

    // Back up, but answering 503 twice first: every attempt it sees must carry one delivery id.
    const rx = await receiver((_req, n) => (n < 2 ? { status: 503, body: 'warming up' } : { status: 204 }), port);
    const done = await until(async () => (await deliveries(notifier, hook.id)).find((d) => d.status === 'delivered'));
    expect(rx.received).toHaveLength(3);
    expect(new Set(rx.received.map((r) => r.headers['x-analyst-delivery']))).toEqual(new Set([done.id]));
    expect(new Set(rx.received.map((r) => JSON.parse(r.body).id)).size).toBe(1);
    expect(done.attempts).toBeGreaterThanOrEqual(5);
    expect(done.response_code).toBe(204);
    // Delivered means done: nothing is left pending, so no further request comes.
    expect(await pending(notifier, hook.id)).toEqual([]);
  });

  it('marks a delivery dead on 410 and never retries it', async () => {
    const rx = await receiver(() => ({ status: 410, body: 'gone' }));
    const notifier = await setup();
    const hook = await subscribe(notifier, rx.url);
    notifier.start();
    await notifier.onFindingChanges(RUN, [raised(finding('plateau', 'warning'))], Date.now());
    const dead = await until(async () => (await deliveries(notifier, hook.id)).find((d) => d.status === 'dead'));
    expect(dead).toMatchObject({ attempts: 1, response_code: 410, next_attempt_at: null });
    expect(dead.last_error).toBe('HTTP 410: gone');
    expect(await pending(notifier, hook.id)).toEqual([]);
    expect(rx.received).toHaveLength(1);
  });

  it('does not follow a redirect, which could lead past the address guard', async () => {
    const target = await receiver();
    const rx = await receiver(() => ({ status: 302, headers: { location: target.url } }));
    const notifier = await setup();
    const hook = await subscribe(notifier, rx.url);
    notifier.start();
    await notifier.onFindingChanges(RUN, [raised(finding('plateau', 'warning'))], Date.now());
    const dead = await until(async () => (await deliveries(notifier, hook.id)).find((d) => d.status === 'dead'));
    expect(dead.last_error).toMatch(/^HTTP 302 \(redirects are not followed/);
    expect(target.received).toHaveLength(0);
  });

  it('honours Retry-After on 429', async () => {
    const rx = await receiver((_req, n) => (n === 0 ? { status: 429, headers: { 'retry-after': '1' } } : { status: 200 }));
    const notifier = await setup();
    const hook = await subscribe(notifier, rx.url);
    notifier.start();
    await notifier.onFindingChanges(RUN, [raised(finding('oscillation', 'warning'))], Date.now());
    await until(async () => (await deliveries(notifier, hook.id)).find((d) => d.status === 'delivered'));
    // Back-off alone would have retried after 40 ms; the receiver asked for a second.
    expect(rx.received[1].at - rx.received[0].at).toBeGreaterThanOrEqual(950);
  });

  it('does not hold up other deliveries behind a receiver that hangs', async () => {
    const hang = await receiver(() => 'hang');
    const ok = await receiver();
    // Longer than any test runs: if the healthy delivery waited for the hanging one, it would never come.
    const notifier = await setup({ timeoutMs: 3_600_000, concurrency: 2 });
    const hanging = await subscribe(notifier, hang.url);
    await subscribe(notifier, ok.url);
    notifier.start();
    await notifier.onFindingChanges(RUN, [raised(finding('nan_loss', 'critical'))], Date.now());
    await until(() => ok.received.length === 1);
    expect(hang.received).toHaveLength(1);
    expect((await deliveries(notifier, hanging.id))[0]).toMatchObject({ status: 'pending', attempts: 0 });
  });

  it('cuts off a receiver that hangs', async () => {
    const hang = await receiver(() => 'hang');
    const notifier = await setup({ timeoutMs: 300 });
    const hanging = await subscribe(notifier, hang.url);
    notifier.start();
    await notifier.onFindingChanges(RUN, [raised(finding('nan_loss', 'critical'))], Date.now());
    const failed = await until(async () => (await deliveries(notifier, hanging.id)).find((d) => d.attempts >= 1));
    expect(failed.status).toBe('pending');
    expect(failed.last_error).toBe('no answer within 300 ms');
  });

  it('stops without waiting for a hanging receiver, leaving the delivery due for the next start', async () => {
    const hang = await receiver(() => 'hang');
    // Longer than any test runs: a stop that waited for the receiver would never return.
    const notifier = await setup({ timeoutMs: 3_600_000 });
    const hook = await subscribe(notifier, hang.url);
    notifier.start();
    await notifier.onFindingChanges(RUN, [raised(finding('nan_loss', 'critical'))], Date.now());
    await until(() => hang.received.length === 1);
    await notifier.stop();
    const [row] = await deliveries(notifier, hook.id);
    expect(row).toMatchObject({ status: 'pending', attempts: 0, last_error: null });
    expect(row.next_attempt_at).toBeLessThanOrEqual(Date.now());
  });

  it('gives up after the maximum age and marks the delivery dead', async () => {
    const rx = await receiver(() => ({ status: 500 }));
    const notifier = await setup({ retry: { baseMs: 40, capMs: 80, maxAgeMs: 400 } });
    const hook = await subscribe(notifier, rx.url);
    notifier.start();
    await notifier.onFindingChanges(RUN, [raised(finding('nan_loss', 'critical'))], Date.now());
    const dead = await until(async () => (await deliveries(notifier, hook.id)).find((d) => d.status === 'dead'));
    expect(dead.attempts).toBeGreaterThan(2);
    expect(dead.response_code).toBe(500);
    expect(await pending(notifier, hook.id)).toEqual([]);
  });

  it('sends a test delivery on request and reports its outcome', async () => {
    const rx = await receiver();
    const notifier = await setup();
    const hook = await subscribe(notifier, rx.url);
    const result = await notifier.testWebhook(hook.id);
    expect(result).toMatchObject({ status: 'delivered', response_code: 200, alert_type: 'webhook.test' });
    expect(rx.received[0].headers['x-analyst-event']).toBe('webhook.test');
    // Test deliveries are not part of the alert stream.
    expect((await notifier.listAlerts({ limit: 100 })).alerts).toHaveLength(0);
  });
});
