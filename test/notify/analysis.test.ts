// The optional LLM analysis in alert bodies: included when it comes in time, never waited on longer.
import { afterEach, describe, expect, it } from 'vitest';
import type { Finding } from '../../src/domain/findings.ts';
import type { NotifierOptions } from '../../src/notify/notifier.ts';
import { RUN, finding, makeNotifier, raised, startReceiver, subscribe, tempStore, until } from './helpers.ts';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

async function setup(summarize: NotifierOptions['summarize']) {
  const rx = await startReceiver();
  const t = tempStore();
  const notifier = await makeNotifier(t.store, { summarize, analysisTimeoutMs: 200 });
  cleanups.push(t.cleanup, () => notifier.stop(), () => rx.close());
  await subscribe(notifier, rx.url, { include_analysis: true });
  // A second subscription with the analysis: both share one question to the LLM.
  await subscribe(notifier, rx.url, { include_analysis: true });
  await subscribe(notifier, rx.url, { include_analysis: false });
  notifier.start();
  return { rx, notifier };
}

const bodies = (rx: { received: Array<{ body: string }> }) => rx.received.map((r) => JSON.parse(r.body));

describe('alert analysis', () => {
  it('includes a timely analysis, asks once per alert, and keeps it with the alert', async () => {
    const asked: Array<[string, Finding]> = [];
    const { rx, notifier } = await setup(async (runId, f) => {
      asked.push([runId, f]);
      return `The loss of ${runId} went to NaN at step ${f.step}: lower the learning rate.`;
    });
    await notifier.onFindingChanges(RUN, [raised(finding('nan_loss', 'critical'))], Date.now());
    await until(() => rx.received.length === 3);
    const analyses = bodies(rx).map((b) => b.analysis).sort();
    expect(analyses).toEqual([
      'The loss of run-1 went to NaN at step 1200: lower the learning rate.',
      'The loss of run-1 went to NaN at step 1200: lower the learning rate.',
      null,
    ]);
    expect(asked).toHaveLength(1);
    expect(asked[0][1].kind).toBe('nan_loss');
    expect((await notifier.listAlerts({ after: 0, limit: 10 })).alerts[0].analysis).toMatch(/NaN at step 1200/);
  });

  it('sends without the analysis when the LLM is slow, and stores the late answer for the stream', async () => {
    // The LLM answers only once the deliveries are out: they cannot have waited for it.
    let answer!: (text: string) => void;
    const { rx, notifier } = await setup(() => new Promise((resolve) => (answer = resolve)));
    await notifier.onFindingChanges(RUN, [raised(finding('divergence', 'critical'))], Date.now());
    await until(() => rx.received.length === 3);
    expect(bodies(rx).map((b) => b.analysis)).toEqual([null, null, null]);
    answer('late but useful');
    await until(async () => (await notifier.listAlerts({ after: 0, limit: 10 })).alerts[0].analysis === 'late but useful');
  });

  it('sends without the analysis when the LLM fails', async () => {
    const { rx, notifier } = await setup(() => Promise.reject(new Error('provider down')));
    await notifier.onFindingChanges(RUN, [raised(finding('plateau', 'warning'))], Date.now());
    await until(() => rx.received.length === 3);
    expect(bodies(rx).map((b) => b.analysis)).toEqual([null, null, null]);
    expect((await notifier.listAlerts({ after: 0, limit: 10 })).alerts[0].analysis).toBeNull();
  });
});
