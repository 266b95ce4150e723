// Which alerts are made and to whom: throttle, escalation, filters, stalls, run ends, atomicity.
import { afterEach, describe, expect, it } from 'vitest';
import type { Notifier, NotifierOptions } from '../../src/notify/notifier.ts';
import { RUN, finding, makeNotifier, raised, startReceiver, subscribe, tempDb, until } from './helpers.ts';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

function setup(options: Partial<NotifierOptions> = {}) {
  const t = tempDb();
  const notifier = makeNotifier(t.db, options);
  cleanups.push(t.cleanup, () => notifier.stop());
  return { notifier, db: t.db };
}

const types = (n: Notifier) => n.listAlerts({ after: 0, limit: 1000 }).alerts.map((a) => a.type);
const MIN = 60_000;

describe('alerts from finding changes', () => {
  it('throttles finding.raised per run and kind, while escalations and resolutions always go', async () => {
    const { notifier } = setup({ cooldownMs: 10 * MIN });
    const hook = await subscribe(notifier, 'http://127.0.0.1:9/hook', { min_severity: 'info' });
    const t0 = 1_700_000_000_000;
    const warn = finding('divergence', 'warning');
    notifier.onFindingChanges(RUN, [raised(warn)], t0);
    notifier.onFindingChanges(RUN, [{ type: 'finding_resolved', finding: { ...warn, status: 'resolved' } }], t0 + MIN);
    // Raised again two minutes later: inside the cooldown, so not sent; the stream still shows it.
    notifier.onFindingChanges(RUN, [raised(warn)], t0 + 2 * MIN);
    // The same kind in another run is not throttled by this run.
    notifier.onFindingChanges({ ...RUN, id: 'run-2' }, [raised({ ...warn, run: 'run-2' })], t0 + 2 * MIN);
    // Another kind in the same run is not either.
    notifier.onFindingChanges(RUN, [raised(finding('plateau', 'warning'))], t0 + 2 * MIN);
    // Severity up is an escalation and goes even inside the cooldown; same severity is no news.
    notifier.onFindingChanges(RUN, [{ type: 'finding_updated', finding: warn }], t0 + 3 * MIN);
    notifier.onFindingChanges(RUN, [{ type: 'finding_updated', finding: { ...warn, severity: 'critical' }, previous: 'warning' }], t0 + 3 * MIN);
    // Severity down is not an escalation.
    notifier.onFindingChanges(RUN, [{ type: 'finding_updated', finding: warn, previous: 'critical' }], t0 + 4 * MIN);
    notifier.onFindingChanges(RUN, [{ type: 'finding_resolved', finding: { ...warn, status: 'resolved' } }], t0 + 5 * MIN);
    // After the cooldown, a new raise goes again.
    notifier.onFindingChanges(RUN, [raised(warn)], t0 + 11 * MIN);

    const alerts = notifier.listAlerts({ after: 0, limit: 1000 }).alerts;
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
    const sent = notifier.listDeliveries(hook.id).map((d) => d.alert_id);
    expect(sent).toHaveLength(alerts.length - 1);
    expect(sent).not.toContain(alerts[2].id);
    expect(alerts[5]).toMatchObject({ severity: 'critical', previous_severity: 'warning' });
  });

  it('delivers the escalation of a finding whose raise was below the subscription threshold', async () => {
    const rx = await startReceiver();
    cleanups.push(() => rx.close());
    const { notifier } = setup();
    const hook = await subscribe(notifier, rx.url, { min_severity: 'critical' });
    notifier.start();
    const f = finding('exploding_gradients', 'warning');
    notifier.onFindingChanges(RUN, [raised(f)], Date.now());
    notifier.onFindingChanges(RUN, [{ type: 'finding_updated', finding: { ...f, severity: 'critical' }, previous: 'warning' }], Date.now());
    await until(() => rx.received.length === 1);
    // The raise below the threshold made no delivery, so the escalation is the only one there will be.
    expect(notifier.listDeliveries(hook.id).map((d) => d.alert_type)).toEqual(['finding.escalated']);
    expect(rx.received.map((r) => r.headers['x-analyst-event'])).toEqual(['finding.escalated']);
  });

  it('filters by minimum severity, kinds (finding kinds or alert types) and projects', async () => {
    const rx = await startReceiver();
    cleanups.push(() => rx.close());
    const { notifier } = setup();
    const bySeverity = await subscribe(notifier, rx.url, { min_severity: 'critical' });
    const byKind = await subscribe(notifier, rx.url, { kinds: ['nan_loss', 'run.failed'] });
    const byProject = await subscribe(notifier, rx.url, { projects: ['nlp'] });
    const now = Date.now();
    notifier.onFindingChanges(RUN, [raised(finding('nan_loss', 'critical')), raised(finding('plateau', 'warning'))], now);
    notifier.onFindingChanges({ id: 'run-9', name: 'bert', project: 'nlp' }, [raised(finding('overfitting', 'warning'))], now);
    notifier.onRunFinished(RUN, 'failed', now);
    const got = (id: string) => notifier.listDeliveries(id).map((d) => d.alert_type).sort();
    expect(got(bySeverity.id)).toEqual(['finding.raised', 'run.failed']);
    expect(got(byKind.id)).toEqual(['finding.raised', 'run.failed']);
    expect(got(byProject.id)).toEqual(['finding.raised']);
  });

  it('writes nothing when the ingest transaction around it rolls back', async () => {
    const rx = await startReceiver();
    cleanups.push(() => rx.close());
    const { notifier, db } = setup();
    const hook = await subscribe(notifier, rx.url);
    notifier.start();
    expect(() =>
      db.transaction(() => {
        notifier.onFindingChanges(RUN, [raised(finding('nan_loss', 'critical'))], Date.now());
        throw new Error('ingest failed after the diagnoser ran');
      })(),
    ).toThrow('ingest failed');
    // Nothing stored means nothing the worker could ever send.
    expect(notifier.listAlerts({ after: 0, limit: 10 }).alerts).toHaveLength(0);
    expect(notifier.listDeliveries(hook.id)).toHaveLength(0);
    expect(rx.received).toHaveLength(0);

    // Committed with the ingest, it goes out once the transaction is over.
    db.transaction(() => notifier.onFindingChanges(RUN, [raised(finding('nan_loss', 'critical'))], Date.now()))();
    await until(() => rx.received.length === 1);
  });

  it('reports run ends: failed is critical, finished is information, and clears per-run state', () => {
    const { notifier } = setup({ cooldownMs: 10 * MIN });
    const t0 = 1_700_000_000_000;
    notifier.onFindingChanges(RUN, [raised(finding('plateau', 'warning'))], t0);
    notifier.onRunFinished(RUN, 'completed', t0 + 1);
    notifier.onRunFinished({ ...RUN, id: 'run-2' }, 'failed', t0 + 2);
    // A run restarted under the same id is not throttled by its previous life.
    notifier.onFindingChanges(RUN, [raised(finding('plateau', 'warning'))], t0 + 3);
    const alerts = notifier.listAlerts({ after: 0, limit: 10 }).alerts;
    expect(alerts.map((a) => [a.type, a.severity, a.detail?.status ?? null])).toEqual([
      ['finding.raised', 'warning', null],
      ['run.finished', 'info', 'completed'],
      ['run.failed', 'critical', 'failed'],
      ['finding.raised', 'warning', null],
    ]);
  });

  it('never fails the ingest transaction because of its own fault', () => {
    const errors: unknown[] = [];
    const { notifier, db } = setup({ log: { warn: () => {}, error: (obj) => errors.push(obj) } });
    db.exec('CREATE TABLE ingested (n INTEGER)');
    db.exec('DROP TABLE alerts');
    db.transaction(() => {
      db.exec('INSERT INTO ingested VALUES (1)');
      notifier.onFindingChanges(RUN, [raised(finding('nan_loss', 'critical'))], Date.now());
    })();
    expect(db.prepare('SELECT COUNT(*) AS n FROM ingested').get()).toEqual({ n: 1 });
    expect(errors).toHaveLength(1);
  });
});

describe('stalled runs', () => {
  it('alerts a run the service found silent, with how long it has been silent', async () => {
    const rx = await startReceiver();
    cleanups.push(() => rx.close());
    const { notifier } = setup();
    const hook = await subscribe(notifier, rx.url, { min_severity: 'warning' });
    notifier.start();
    const lastEventAt = 1_700_000_000_000;
    notifier.onRunStalled(RUN, lastEventAt, lastEventAt + 16 * MIN);
    expect(types(notifier)).toEqual(['run.stalled']);
    const [stall] = notifier.listAlerts({ after: 0, limit: 10 }).alerts;
    expect(stall).toMatchObject({ severity: 'warning', detail: { last_event_at: lastEventAt, idle_seconds: 16 * 60 } });
    expect(stall.message).toContain('16 min');
    const [req] = await until(() => rx.received.length > 0 && rx.received);
    expect(req.headers['x-analyst-event']).toBe('run.stalled');
    expect(notifier.listDeliveries(hook.id)).toHaveLength(1);
  });
});

describe('the polled alert stream', () => {
  it('pages with a cursor and filters by run, severity and time', () => {
    const { notifier } = setup();
    const t0 = Date.now() - 3 * 3_600_000;
    notifier.onFindingChanges(RUN, [raised(finding('plateau', 'info'))], t0);
    notifier.onFindingChanges(RUN, [raised(finding('nan_loss', 'critical'))], t0 + 2 * 3_600_000);
    notifier.onFindingChanges({ ...RUN, id: 'run-2' }, [raised(finding('overfitting', 'warning'))], t0 + 2 * 3_600_000);

    const first = notifier.listAlerts({ after: 0, limit: 2 });
    expect(first.alerts.map((a) => a.finding?.kind)).toEqual(['plateau', 'nan_loss']);
    const next = notifier.listAlerts({ after: first.cursor, limit: 2 });
    expect(next.alerts.map((a) => a.finding?.kind)).toEqual(['overfitting']);
    expect(notifier.listAlerts({ after: next.cursor, limit: 2 })).toEqual({ alerts: [], cursor: next.cursor });

    expect(notifier.listAlerts({ run: 'run-2', after: 0, limit: 10 }).alerts).toHaveLength(1);
    expect(notifier.listAlerts({ min_severity: 'warning', after: 0, limit: 10 }).alerts.map((a) => a.severity)).toEqual(['critical', 'warning']);
    expect(notifier.listAlerts({ since: Date.now() - 3_600_000 * 2, limit: 10 }).alerts).toHaveLength(2);
  });
});
