// Which alerts are made and to whom: throttle, escalation, filters, stalls, run ends, atomicity.
import { afterEach, describe, expect, it } from 'vitest';
import type { Notifier, NotifierOptions } from '../../src/notify/notifier.ts';
import { RUN, finding, makeNotifier, raised, startReceiver, subscribe, tempStore, until } from './helpers.ts';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

async function setup(options: Partial<NotifierOptions> = {}) {
  const t = tempStore();
  const notifier = await makeNotifier(t.store, options);
  cleanups.push(t.cleanup, () => notifier.stop());
  return { notifier, store: t.store };
}

const types = async (n: Notifier) => (await n.listAlerts({ after: 0, limit: 1000 })).alerts.map((a) => a.type);
const MIN = 60_000;

describe('alerts from finding changes', () => {
  it('throttles finding.raised per run and kind, while escalations and resolutions always go', async () => {
    const { notifier } = await setup({ cooldownMs: 10 * MIN });
    const hook = await subscribe(notifier, 'http://127.0.0.1:9/hook', { min_severity: 'info' });
    const t0 = 1_700_000_000_000;
    const warn = finding('divergence', 'warning');
    await notifier.onFindingChanges(RUN, [raised(warn)], t0);
    await notifier.onFindingChanges(RUN, [{ type: 'finding_resolved', finding: { ...warn, status: 'resolved' } }], t0 + MIN);
    // Raised again two minutes later: inside the cooldown, so not sent; the stream still shows it.
    await notifier.onFindingChanges(RUN, [raised(warn)], t0 + 2 * MIN);
    // The same kind in another run is not throttled by this run.
    await notifier.onFindingChanges({ ...RUN, id: 'run-2' }, [raised({ ...warn, run: 'run-2' })], t0 + 2 * MIN);
    // Another kind in the same run is not either.
    await notifier.onFindingChanges(RUN, [raised(finding('plateau', 'warning'))], t0 + 2 * MIN);
    // Severity up is an escalation and goes even inside the cooldown; same severity is no news.
    await notifier.onFindingChanges(RUN, [{ type: 'finding_updated', finding: warn }], t0 + 3 * MIN);
    await notifier.onFindingChanges(RUN, [{ type: 'finding_updated', finding: { ...warn, severity: 'critical' }, previous: 'warning' }], t0 + 3 * MIN);
    // Severity down is not an escalation.
    await notifier.onFindingChanges(RUN, [{ type: 'finding_updated', finding: warn, previous: 'critical' }], t0 + 4 * MIN);
    await notifier.onFindingChanges(RUN, [{ type: 'finding_resolved', finding: { ...warn, status: 'resolved' } }], t0 + 5 * MIN);
    // After the cooldown, a new raise goes again.
    await notifier.onFindingChanges(RUN, [raised(warn)], t0 + 11 * MIN);

    const alerts = (await notifier.listAlerts({ after: 0, limit: 1000 })).alerts;
    expect(alerts.map((a) => [a.type, a.run.id, a.finding?.kind])).toEqual([
      ['finding.raised', 'run-1', 'divergence'],
      ['finding.resolved', 'run-1', 'divergence'],
      ['finding.raised', 'run-1', 'divergence'],
      ['finding.raised', 'run-2', 'divergence'],
      ['finding.raised', 'run-1', 'plateau'],
      ['finding.escalated', 'run-1', 'divergence'],
      ['finding.resolved', 'run-1', 'divergence'],
      ['finding.raised', 'run-1', 'divergence'],
    ]);
    expect(alerts[2].detail).toEqual({ throttled: expect.stringMatching(/^not sent to webhooks/) });
    const sent = (await notifier.listDeliveries(hook.id)).map((d) => d.alert_id);
    expect(sent).toHaveLength(alerts.length - 1);
    expect(sent).not.toContain(alerts[2].id);
    expect(alerts[5]).toMatchObject({ severity: 'critical', previous_severity: 'warning' });
  });

  it('delivers the escalation of a finding whose raise was below the subscription threshold', async () => {
    const rx = await startReceiver();
    cleanups.push(() => rx.close());
    const { notifier } = await setup();
    const hook = await subscribe(notifier, rx.url, { min_severity: 'critical' });
    notifier.start();
    const f = finding('exploding_gradients', 'warning');
    await notifier.onFindingChanges(RUN, [raised(f)], Date.now());
    await notifier.onFindingChanges(RUN, [{ type: 'finding_updated', finding: { ...f, severity: 'critical' }, previous: 'warning' }], Date.now());
    await until(() => rx.received.length === 1);
    // The raise below the threshold made no delivery, so the escalation is the only one there will be.
    expect((await notifier.listDeliveries(hook.id)).map((d) => d.alert_type)).toEqual(['finding.escalated']);
    expect(rx.received.map((r) => r.headers['x-analyst-event'])).toEqual(['finding.escalated']);
  });

  it('filters by minimum severity, kinds (finding kinds or alert types) and projects', async () => {
    const rx = await startReceiver();
    cleanups.push(() => rx.close());
    const { notifier } = await setup();
    const bySeverity = await subscribe(notifier, rx.url, { min_severity: 'critical' });
    const byKind = await subscribe(notifier, rx.url, { kinds: ['nan_loss', 'run.failed'] });
    const byProject = await subscribe(notifier, rx.url, { projects: ['nlp'] });
    const now = Date.now();
    await notifier.onFindingChanges(RUN, [raised(finding('nan_loss', 'critical')), raised(finding('plateau', 'warning'))], now);
    await notifier.onFindingChanges({ id: 'run-9', name: 'bert', project: 'nlp' }, [raised(finding('overfitting', 'warning'))], now);
    await notifier.onRunFinished(RUN, 'failed', now);
    const got = async (id: string) => (await notifier.listDeliveries(id)).map((d) => d.alert_type).sort();
    expect(await got(bySeverity.id)).toEqual(['finding.raised', 'run.failed']);
    expect(await got(byKind.id)).toEqual(['finding.raised', 'run.failed']);
    expect(await got(byProject.id)).toEqual(['finding.raised']);
  });

  it('writes nothing when the ingest transaction around it rolls back', async () => {
    const rx = await startReceiver();
    cleanups.push(() => rx.close());
    const { notifier, store } = await setup();
    const hook = await subscribe(notifier, rx.url);
    notifier.start();
    await expect(
      store.transaction(async () => {
        await notifier.onFindingChanges(RUN, [raised(finding('nan_loss', 'critical'))], Date.now());
        throw new Error('ingest failed after the diagnoser ran');
      }),
    ).rejects.toThrow('ingest failed');
    // Nothing stored means nothing the worker could ever send.
    expect((await notifier.listAlerts({ after: 0, limit: 10 })).alerts).toHaveLength(0);
    expect(await notifier.listDeliveries(hook.id)).toHaveLength(0);
    expect(rx.received).toHaveLength(0);

    // Committed with the ingest, it goes out once the transaction is over.
    await store.transaction(() => notifier.onFindingChanges(RUN, [raised(finding('nan_loss', 'critical'))], Date.now()));
    await until(() => rx.received.length === 1);
  });

  it('reports run ends: failed is critical, finished is information, and clears per-run state', async () => {
    const { notifier } = await setup({ cooldownMs: 10 * MIN });
    const t0 = 1_700_000_000_000;
    await notifier.onFindingChanges(RUN, [raised(finding('plateau', 'warning'))], t0);
    await notifier.onRunFinished(RUN, 'completed', t0 + 1);
    await notifier.onRunFinished({ ...RUN, id: 'run-2' }, 'failed', t0 + 2);
    // A run restarted under the same id is not throttled by its previous life.
    await notifier.onFindingChanges(RUN, [raised(finding('plateau', 'warning'))], t0 + 3);
    const alerts = (await notifier.listAlerts({ after: 0, limit: 10 })).alerts;
    expect(alerts.map((a) => [a.type, a.severity, a.detail?.status ?? null])).toEqual([
      ['finding.raised', 'warning', null],
      ['run.finished', 'info', 'completed'],
      ['run.failed', 'critical', 'failed'],
      ['finding.raised', 'warning', null],
    ]);
  });

  it('never fails the ingest transaction because of its own fault', async () => {
    const errors: unknown[] = [];
    const { notifier, store } = await setup({ log: { warn: () => {}, error: (obj) => errors.push(obj) } });
    store.db.exec('CREATE TABLE ingested (n INTEGER)');
    store.db.exec('DROP TABLE alerts');
    await store.transaction(async () => {
      store.db.exec('INSERT INTO ingested VALUES (1)');
      await notifier.onFindingChanges(RUN, [raised(finding('nan_loss', 'critical'))], Date.now());
    });
    expect(store.db.prepare('SELECT COUNT(*) AS n FROM ingested').get()).toEqual({ n: 1 });
    expect(errors).toHaveLength(1);
  });
});

describe('stalled runs', () => {
  it('alerts a run the service found silent, with how long it has been silent', async () => {
    const rx = await startReceiver();
    cleanups.push(() => rx.close());
    const { notifier } = await setup();
    const hook = await subscribe(notifier, rx.url, { min_severity: 'warning' });
    notifier.start();
    const lastEventAt = 1_700_000_000_000;
    await notifier.onRunStalled(RUN, lastEventAt, lastEventAt + 16 * MIN);
    expect(await types(notifier)).toEqual(['run.stalled']);
    const [stall] = (await notifier.listAlerts({ after: 0, limit: 10 })).alerts;
    expect(stall).toMatchObject({ severity: 'warning', detail: { last_event_at: lastEventAt, idle_seconds: 16 * 60 } });
    expect(stall.message).toContain('16 min');
    const [req] = await until(() => rx.received.length > 0 && rx.received);
    expect(req.headers['x-analyst-event']).toBe('run.stalled');
    expect(await notifier.listDeliveries(hook.id)).toHaveLength(1);
  });
});

describe('the polled alert stream', () => {
  it('pages with a cursor and filters by run, severity and time', async () => {
    const { notifier } = await setup();
    const t0 = Date.now() - 3 * 3_600_000;
    await notifier.onFindingChanges(RUN, [raised(finding('plateau', 'info'))], t0);
    await notifier.onFindingChanges(RUN, [raised(finding('nan_loss', 'critical'))], t0 + 2 * 3_600_000);
    await notifier.onFindingChanges({ ...RUN, id: 'run-2' }, [raised(finding('overfitting', 'warning'))], t0 + 2 * 3_600_000);

    const first = await notifier.listAlerts({ after: 0, limit: 2 });
    expect(first.alerts.map((a) => a.finding?.kind)).toEqual(['plateau', 'nan_loss']);
    const next = await notifier.listAlerts({ after: first.cursor, limit: 2 });
    expect(next.alerts.map((a) => a.finding?.kind)).toEqual(['overfitting']);
    expect(await notifier.listAlerts({ after: next.cursor, limit: 2 })).toEqual({ alerts: [], cursor: next.cursor });

    expect((await notifier.listAlerts({ run: 'run-2', after: 0, limit: 10 })).alerts).toHaveLength(1);
    expect((await notifier.listAlerts({ min_severity: 'warning', after: 0, limit: 10 })).alerts.map((a) => a.severity)).toEqual(['critical', 'warning']);
    expect((await notifier.listAlerts({ since: Date.now() - 3_600_000 * 2, limit: 10 })).alerts).toHaveLength(2);
  });
});
