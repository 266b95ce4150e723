import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunContext, type MetricsUpdate } from '../src/context/run-context.ts';
import type { EventInput } from '../src/domain/events.ts';
import { diagnoseEvents, RunDiagnoser } from '../src/diagnose/engine.ts';
import { importFile } from '../src/ingest/files/import-file.ts';

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

/** The rules alone: context updates are prepared first, then only `evaluate` is timed. Best of three. */
export function benchDiagnoserPerPoint(points = 200_000): number {
  const ctx = new RunContext('bench');
  const updates: MetricsUpdate[] = longRun(points).map((e, i) => ctx.apply({ ...e, ts: i })!);
  let best = Infinity;
  for (let round = 0; round < 3; round++) {
    const d = new RunDiagnoser('bench');
    const t0 = performance.now();
    for (const u of updates) d.evaluate(ctx, u);
    best = Math.min(best, ((performance.now() - t0) * 1000) / updates.length);
  }
  return best;
}

/** `analyst diagnose` on a 1M-point JSONL file: read, import, fold and diagnose, wall time. */
export async function benchOfflineJsonl(points = 1_000_000): Promise<{ seconds: number; findings: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-jsonl-'));
  const file = join(dir, 'long.jsonl');
  // One line per step with the run's main series: 1M metric points in 250k lines.
  const lines: string[] = [];
  for (let i = 0; i < points / 4; i++) {
    const loss = 2 * Math.exp(-i / 20_000) + 0.1 + 0.05 * Math.sin(i * 0.7);
    lines.push(JSON.stringify({ step: i, epoch: Math.floor(i / 1000), loss, val_loss: loss * 1.1, lr: 1e-3, grad_norm: 1 + 0.2 * Math.sin(i) }));
  }
  writeFileSync(file, lines.join('\n'));
  const t0 = performance.now();
  const run = await importFile(file);
  const { findings } = diagnoseEvents(run.name, run.events);
  const seconds = (performance.now() - t0) / 1000;
  rmSync(dir, { recursive: true, force: true });
  return { seconds, findings: findings.length };
}
