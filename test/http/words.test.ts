// One source of truth for words: findings read as of now, one best per run, an alert stream that
// agrees with the findings.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, testServer, type TestServer } from '../helpers/server.ts';

let s: TestServer;
beforeAll(async () => {
  s = await testServer({ ANALYST_ALERT_COOLDOWN: '1h' });
});
afterAll(async () => s.stop());

async function feed(name: string, values: (epoch: number) => Record<string, number | string>, epochs: number[]) {
  const run = (await api(s.url, '/runs', { method: 'POST', json: { name, project: 'words' } })).body;
  const events = epochs.map((epoch) => ({ type: 'metrics', epoch, values: values(epoch) }));
  expect((await api(s.url, `/runs/${run.id}/events`, { method: 'POST', json: events })).status).toBe(200);
  return run.id as string;
}

const overfit = (e: number) => ({
  train_loss: 2 * Math.exp(-e / 6) + 0.05,
  val_loss: e <= 10 ? 2 * Math.exp(-e / 6) + 0.3 + 0.01 * Math.sin(e) : 0.68 + 0.04 * (e - 10) + 0.01 * Math.sin(e),
});
const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);

describe('words that stay true', () => {
  it('an open finding written at an earlier epoch says which epoch its figures are from, and where the run is now', async () => {
    const id = await feed('nan', (e) => ({ train_loss: e < 3 ? 1 / e : 'NaN' }), range(1, 6));
    const finding = (await api(s.url, `/runs/${id}/findings`)).body.findings.find((f: any) => f.kind === 'nan_loss');
    expect(finding).toMatchObject({ kind: 'nan_loss', status: 'open', epoch: 3, seen_epoch: 3 });
    expect(finding.message).toMatch(/^train_loss became NaN at epoch 3\b.*\(Figures as of epoch 3; the run is now at epoch 6\.\)$/);
    const status = (await api(s.url, `/runs/${id}`)).body;
    expect(status.findings.find((f: any) => f.kind === 'nan_loss').message).toBe(finding.message);
    // The stream keeps the words as they were when written.
    const raised = (await api(s.url, `/runs/${id}/events?after_seq=0`)).body.events.find((e: any) => e.type === 'finding_raised');
    expect(raised.finding.message).not.toMatch(/Figures as of/);
  });

  it('shows one best value for a metric in status, findings and analysis', async () => {
    const id = await feed('overfit', overfit, range(1, 30));
    const status = (await api(s.url, `/runs/${id}`)).body;
    const analysis = (await api(s.url, `/runs/${id}/analysis`)).body;
    const finding = status.findings.find((f: any) => f.kind === 'overfitting');
    expect(status.best).toMatchObject({ metric: 'val_loss', epoch: 10 });
    expect(analysis.summary).toMatchObject({ best_metric: 'val_loss', best_value: status.best.value, best_epoch: 10 });
    expect(finding.evidence).toMatchObject({ metric: 'val_loss', best_epoch: 10 });
    expect(finding.evidence.best).toBeCloseTo(status.best.value, 3);
    expect(finding.message).toContain(`best ${Number(status.best.value.toPrecision(3))} at epoch 10`);
  });

  it('the alert stream never ends with finding.resolved for a finding that is open again', async () => {
    const id = await feed('flapping', (e) => ({ train_loss: e === 2 || e === 40 ? 'NaN' : 1 / e }), range(1, 40));
    const findings = (await api(s.url, `/runs/${id}/findings`)).body.findings;
    // Both were written in one batch, in the same millisecond: their order in the list is not defined.
    expect(findings.map((f: any) => [f.kind, f.status]).sort()).toEqual([
      ['nan_loss', 'open'],
      ['nan_loss', 'resolved'],
    ]);
    const alerts = (await api(s.url, `/alerts?run=${id}&after=0`)).body.alerts as any[];
    const nan = alerts.filter((a) => a.finding?.kind === 'nan_loss');
    expect(nan.map((a) => a.type)).toEqual(['finding.raised', 'finding.resolved', 'finding.raised']);
    expect(nan[2].detail.throttled).toMatch(/not sent/);
  });
});
