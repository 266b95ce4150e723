import { describe, expect, it } from 'vitest';
import { RunContext } from '../../src/context/run-context.ts';
import { Finding } from '../../src/domain/findings.ts';
import { diagnoseEvents, RunDiagnoser } from '../../src/diagnose/engine.ts';
import { epochs, feed } from './feed.ts';

/** Val loss lowest at epoch 10, then rising until it doubles: overfitting, warning then critical. */
const overfit = epochs(40, (e) => ({ train_loss: 2 * Math.exp(-e / 4), val_loss: 0.3 + 0.004 * (e - 10) ** 2 }));

describe('RunDiagnoser', () => {
  it('keeps one open finding per kind, updating it as evidence grows and recording the previous severity', () => {
    let clock = 100;
    const fed = feed(overfit, new RunDiagnoser('r1', [], { now: () => clock++ }));
    const changes = fed.changes.flat().filter((c) => c.finding.kind === 'overfitting');
    expect(changes[0].type).toBe('finding_raised');
    expect(changes.filter((c) => c.type === 'finding_raised')).toHaveLength(1);
    // info (a 10% rise) -> warning (25%) -> critical (2x), each step recorded with what it was before.
    const escalations = changes.filter((c) => c.previous !== undefined).map((c) => `${c.previous}->${c.finding.severity}`);
    expect(escalations).toEqual(['info->warning', 'warning->critical']);
    expect(changes.every((c) => c.type === 'finding_raised' || c.type === 'finding_updated')).toBe(true);
    const open = fed.diagnoser.open();
    expect(open).toHaveLength(1);
    const f = open[0];
    expect(Finding.parse(f)).toEqual(f);
    expect(f.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(f.run).toBe('r1');
    expect(f.epoch).toBe(changes[0].finding.epoch);
    expect(f.updated_at).toBeGreaterThan(f.created_at);
    expect(f.message).toMatch(/val_loss has gone from its best 0\.3 at epoch 10/);
  });

  it('judges each attempt on its own when training starts over in the same run', () => {
    // A first attempt that overfits, then the script run again into the same log from epoch 1:
    // its falling losses are a fresh start, not a validation loss back at 0.3 after its rise.
    const first = overfit.slice(0, 30);
    const again = epochs(12, (e) => ({ train_loss: 2 * Math.exp(-e / 4), val_loss: 0.3 + 1.5 * Math.exp(-e / 3) }));
    const fed = feed([...first, ...again]);
    const overfitting = fed.diagnoser.all().filter((f) => f.kind === 'overfitting');
    expect(overfitting).toHaveLength(1);
    expect(overfitting[0].status).toBe('resolved');
    expect(fed.ctx.recent.some((n) => n.type === 'restart' && n.text.includes('step 3000 -> 100'))).toBe(true);
    // Without the restart the second attempt's first epochs read as a validation loss that doubled.
    expect(fed.diagnoser.open()).toEqual([]);
  });

  it('resolves a finding when its condition clears, and raises a new one if it returns', () => {
    const rows = [...epochs(10, (e) => ({ train_loss: e < 5 ? 1 : NaN })), ...epochs(25, () => ({ train_loss: 1 })).map((r, i) => ({ ...r, step: 1100 + i, epoch: 11 + i })), { step: 2000, epoch: 40, train_loss: NaN }];
    const fed = feed(rows);
    const kinds = fed.changes.flat().filter((c) => c.finding.kind === 'nan_loss').map((c) => c.type);
    expect(kinds).toEqual(['finding_raised', 'finding_resolved', 'finding_raised']);
    const all = fed.diagnoser.all().filter((f) => f.kind === 'nan_loss');
    expect(all.map((f) => f.status)).toEqual(['resolved', 'open']);
    expect(all[0].resolved_at).not.toBeNull();
    expect(new Set(all.map((f) => f.id)).size).toBe(2);
  });

  it('returns no changes, and the same empty result, for points that change nothing', () => {
    const d = new RunDiagnoser('quiet');
    const ctx = new RunContext('quiet');
    const first = d.evaluate(ctx, ctx.apply({ type: 'metrics', step: 1, values: { train_loss: 1 }, ts: 1 })!);
    const second = d.evaluate(ctx, ctx.apply({ type: 'metrics', step: 2, values: { train_loss: 0.9 }, ts: 2 })!);
    expect(first).toEqual([]);
    expect(second).toBe(first);
  });

  it('after a restart, updates the stored open finding instead of raising a duplicate', () => {
    const before = feed(overfit.slice(0, 20));
    const stored = before.diagnoser.open();
    expect(stored.map((f) => f.kind)).toEqual(['overfitting']);
    // A new process: a fresh context replays the stored events, the diagnoser is seeded with the open findings.
    const restarted = new RunDiagnoser('test', stored);
    const after = feed(overfit, restarted);
    const changes = after.changes.flat().filter((c) => c.finding.kind === 'overfitting');
    expect(changes.some((c) => c.type === 'finding_raised')).toBe(false);
    expect(changes.some((c) => c.type === 'finding_updated' && c.finding.id === stored[0].id)).toBe(true);
    expect(restarted.all().filter((f) => f.kind === 'overfitting')).toHaveLength(1);
  });

  it('diagnoses a run offline and stamps events without timestamps in order', () => {
    const events = overfit.map(({ step, epoch, ...values }) => ({ type: 'metrics' as const, step, epoch, values }));
    const { findings, summary } = diagnoseEvents('offline', events, { now: () => 5 });
    expect(findings.map((f) => [f.kind, f.severity])).toEqual([['overfitting', 'critical']]);
    expect(findings[0].created_at).toBe(5);
    expect(summary.run).toBe('offline');
    expect(summary.summary.best_epoch).toBe(10);
    expect(summary.problems).toEqual(['overfitting']);
  });
});
