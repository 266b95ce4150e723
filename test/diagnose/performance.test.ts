import { describe, expect, it } from 'vitest';
import { RunContext, type MetricsUpdate } from '../../src/context/run-context.ts';
import type { EventInput } from '../../src/domain/events.ts';
import { diagnoseEvents, RunDiagnoser } from '../../src/diagnose/engine.ts';

/** A long step-logged run with an epoch row (validation, layers, timing) every 1000 steps. */
function longRun(n: number): EventInput[] {
  const events: EventInput[] = [];
  for (let i = 0; i < n; i++) {
    const loss = 2 * Math.exp(-i / 2000) + 0.1 + 0.05 * Math.sin(i * 0.7);
    events.push(
      i % 1000 === 999
        ? { type: 'metrics', step: i, epoch: (i + 1) / 1000, values: { train_loss: loss, val_loss: loss * 1.1, val_acc: 0.8, epoch_time: 10 + Math.sin(i), 'grad_norm/layer.0': 0.3, 'grad_norm/layer.out': 0.5 } }
        : { type: 'metrics', step: i, values: { 'train/loss': loss, grad_norm: 1 + 0.2 * Math.sin(i * 1.3), lr: 1e-3 } },
    );
  }
  return events;
}

/** CPU time of this process in ms: other processes competing for the cores do not inflate it. */
function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

describe('diagnoser cost', () => {
  it('costs at most 2 µs of CPU per point (best of three rounds over 200k points)', () => {
    const ctx = new RunContext('perf');
    const updates: MetricsUpdate[] = longRun(200_000).map((e, i) => ctx.apply({ ...e, ts: i })!);
    let best = Infinity;
    for (let round = 0; round < 3; round++) {
      const d = new RunDiagnoser('perf');
      const t0 = cpuMs();
      for (const u of updates) d.evaluate(ctx, u);
      best = Math.min(best, ((cpuMs() - t0) * 1000) / updates.length);
    }
    expect(best).toBeLessThanOrEqual(2);
  });

  it('diagnoses a 1M-point run offline in under 2 s of CPU (best of two)', () => {
    const events = longRun(1_000_000);
    let best = Infinity;
    for (let round = 0; round < 2; round++) {
      const t0 = cpuMs();
      const { summary } = diagnoseEvents('long', events);
      best = Math.min(best, cpuMs() - t0);
      expect(summary.summary.total_steps).toBe(999_999);
    }
    expect(best).toBeLessThan(2000);
  }, 60_000);
});
