// The HTTP doors of alerts, served for real on loopback: subscriptions, tests, deliveries, /alerts,
// and the `analyst alerts` command reading them.
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { alertsCommand } from '../../src/cli/alerts.ts';
import { errorResponse } from '../../src/http/errors.ts';
import { webhookRoutes } from '../../src/http/routes/webhooks.ts';
import type { Notifier, NotifierOptions } from '../../src/notify/notifier.ts';
import { RUN, finding, makeNotifier, raised, startReceiver, tempStore } from './helpers.ts';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

const silent = { info: () => {}, warn: () => {}, error: () => {} };

async function serveNotifier(options: Partial<NotifierOptions> = {}): Promise<{ base: string; notifier: Notifier }> {
  const t = tempStore();
  const notifier = await makeNotifier(t.store, options);
  const app = new Hono();
  app.onError((err, c) => errorResponse(err, c, silent));
  app.route('/', webhookRoutes(notifier));
  const server = await new Promise<ServerType>((resolve) => {
    const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s));
  });
  cleanups.push(t.cleanup, () => notifier.stop(), () => new Promise<void>((r) => server.close(() => r())));
  return { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, notifier };
}

async function call(base: string, method: string, path: string, json?: unknown) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: json === undefined ? {} : { 'content-type': 'application/json' },
    body: json === undefined ? undefined : JSON.stringify(json),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

describe('webhook routes', () => {
  it('creates, lists, tests, shows deliveries of and deletes a subscription', async () => {
    const rx = await startReceiver();
    cleanups.push(() => rx.close());
    const { base } = await serveNotifier();

    const created = await call(base, 'POST', '/webhooks', { url: rx.url, kinds: ['nan_loss', 'run.stalled'], projects: ['vision'] });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ url: rx.url, min_severity: 'warning', format: 'auto', include_analysis: false, source: 'api' });
    // A secret is made when none is given, and shown this once.
    expect(created.body.secret).toMatch(/^[0-9a-f]{64}$/);
    const id = created.body.id;

    const listed = await call(base, 'GET', '/webhooks');
    expect(listed.body.webhooks).toHaveLength(1);
    expect(listed.body.webhooks[0].secret).toBeUndefined();

    const tested = await call(base, 'POST', `/webhooks/${id}/test`);
    expect(tested.status).toBe(200);
    expect(tested.body).toMatchObject({ status: 'delivered', response_code: 200, attempts: 1 });
    expect(rx.received[0].headers['x-analyst-signature']).toMatch(/^sha256=/);

    const deliveries = await call(base, 'GET', `/webhooks/${id}/deliveries`);
    expect(deliveries.body.deliveries.map((d: { id: string }) => d.id)).toEqual([tested.body.id]);

    expect((await call(base, 'DELETE', `/webhooks/${id}`)).status).toBe(204);
    expect((await call(base, 'DELETE', `/webhooks/${id}`)).body.error.code).toBe('not_found');
    expect((await call(base, 'GET', `/webhooks/${id}/deliveries`)).status).toBe(404);
    expect((await call(base, 'POST', `/webhooks/${id}/test`)).status).toBe(404);
  });

  it('answers 400 with paths for a bad subscription, and refuses private addresses by default', async () => {
    const { base } = await serveNotifier({ allowPrivate: false });
    const bad = await call(base, 'POST', '/webhooks', { url: 'ftp://example.com', min_severity: 'loud', kinds: ['nope'] });
    expect(bad.status).toBe(400);
    expect(bad.body.error.issues.map((i: { path: string }) => i.path).sort()).toEqual(['kinds.0', 'min_severity', 'url']);
    const internal = await call(base, 'POST', '/webhooks', { url: 'http://169.254.169.254/latest/meta-data' });
    expect(internal.status).toBe(400);
    expect(internal.body.error.message).toMatch(/private or loopback address/);
    expect((await call(base, 'GET', '/webhooks')).body.webhooks).toEqual([]);
  });

  it('keeps the environment subscription, which only the environment can remove', async () => {
    const { base } = await serveNotifier({ envWebhook: { url: 'https://hooks.slack.com/services/T/B/X', secret: 'from-the-environment' } });
    const [hook] = (await call(base, 'GET', '/webhooks')).body.webhooks;
    expect(hook).toMatchObject({ id: 'env', source: 'env', url: 'https://hooks.slack.com/services/T/B/X', format: 'auto' });
    const refused = await call(base, 'DELETE', '/webhooks/env');
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toMatch(/ANALYST_WEBHOOK_URL/);
  });

  it('serves the alert stream with filters, and `analyst alerts` prints it', async () => {
    const { base, notifier } = await serveNotifier();
    const now = Date.now();
    await notifier.onFindingChanges(RUN, [raised(finding('plateau', 'info'))], now - 3 * 3_600_000);
    await notifier.onFindingChanges(RUN, [raised(finding('nan_loss', 'critical'))], now - 60_000);
    await notifier.onRunFinished({ ...RUN, id: 'run-2', name: 'vit' }, 'failed', now);

    const recent = await call(base, 'GET', '/alerts?since=2h');
    expect(recent.body.alerts.map((a: { type: string }) => a.type)).toEqual(['finding.raised', 'run.failed']);
    const page = await call(base, 'GET', '/alerts?after=0&limit=1');
    expect(page.body.alerts[0].finding.kind).toBe('plateau');
    const next = await call(base, 'GET', `/alerts?after=${page.body.cursor}&run=run-1&min_severity=critical`);
    expect(next.body.alerts.map((a: { finding: { kind: string } }) => a.finding.kind)).toEqual(['nan_loss']);
    const invalid = await call(base, 'GET', '/alerts?since=yesterday-ish');
    expect(invalid.status).toBe(400);
    expect(invalid.body.error.code).toBe('invalid_query');

    const out: string[] = [];
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      out.push(String(chunk));
      return true;
    });
    try {
      await alertsCommand().parseAsync(['--server', base, '--since', '1d', '--min-severity', 'warning'], { from: 'user' });
      await alertsCommand().parseAsync(['--server', base, '--since', '1d', '--json'], { from: 'user' });
    } finally {
      write.mockRestore();
    }
    const [tableText, jsonText] = out;
    const lines = tableText.trim().split('\n');
    expect(lines[0]).toMatch(/^TIME\s+SEVERITY\s+TYPE\s+KIND\s+RUN\s+MESSAGE$/);
    expect(lines.slice(1).map((l) => l.split(/\s{2,}/).slice(1, 5))).toEqual([
      ['critical', 'finding.raised', 'nan_loss', 'vision/resnet50'],
      ['critical', 'run.failed', '-', 'vision/vit'],
    ]);
    expect(JSON.parse(jsonText).map((a: { type: string }) => a.type)).toEqual(['finding.raised', 'finding.raised', 'run.failed']);
  });
});
