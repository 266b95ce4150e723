import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunContext } from '../src/context/run-context.ts';
import type { EventInput, MetricsInput } from '../src/domain/events.ts';
import { RunDiagnoser } from '../src/diagnose/engine.ts';
import { diagnoseFile } from '../src/cli/diagnose.ts';

/** A long step-logged run with an epoch row (validation, layers, timing) every 1,000 steps. */
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

/**
 * The rules alone, per metrics point: folding the run with the diagnoser, less folding it without
 * (the context hands out one reused update, so updates cannot be prepared ahead). Best of three.
 */
export function benchDiagnoserPerPoint(points = 200_000): number {
  const events = longRun(points);
  const fold = (diagnose: boolean) => {
    const ctx = new RunContext('bench');
    const d = new RunDiagnoser('bench');
    const t0 = performance.now();
    for (let i = 0; i < events.length; i++) {
      const u = ctx.apply({ ...(events[i] as MetricsInput), ts: i });
      if (diagnose && u) d.evaluate(ctx, u);
    }
    return performance.now() - t0;
  };
  let best = Infinity;
  for (let round = 0; round < 3; round++) best = Math.min(best, ((fold(true) - fold(false)) * 1000) / points);
  return best;
}

/**
 * `analyst diagnose` on a 1M-point JSONL file (a point is a logged line, as in the data sets):
 * read, import, fold and diagnose, wall time. Step lines carry loss, lr and grad_norm; every
 * 1,000th is an epoch line with validation values.
 */
export async function benchOfflineJsonl(points = 1_000_000): Promise<{ seconds: number; findings: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-jsonl-'));
  const file = join(dir, 'long.jsonl');
  const lines: string[] = [];
  for (let i = 0; i < points; i++) {
    const loss = 2 * Math.exp(-i / 200_000) + 0.1 + 0.05 * Math.sin(i * 0.7);
    lines.push(
      JSON.stringify(
        i % 1000 === 999
          ? { step: i, epoch: (i + 1) / 1000, train_loss: loss, val_loss: loss * 1.1, val_acc: 0.8 }
          : { step: i, loss, lr: 1e-3, grad_norm: 1 + 0.2 * Math.sin(i) },
      ),
    );
  }
  writeFileSync(file, lines.join('\n'));
  // Let the generated text go before timing: a million live strings would slow every GC of the run.
  lines.length = 0;
  const t0 = performance.now();
  const report = await diagnoseFile(file);
  const seconds = (performance.now() - t0) / 1000;
  rmSync(dir, { recursive: true, force: true });
  return { seconds, findings: report.findings.length };
}
