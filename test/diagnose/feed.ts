// Test helper: feeds synthetic metric rows through a real RunContext and RunDiagnoser.
import { RunContext } from '../../src/context/run-context.ts';
import type { Finding, FindingChange, FindingKind } from '../../src/domain/findings.ts';
import { RunDiagnoser } from '../../src/diagnose/engine.ts';

/** One logged point: metric values, plus `step` / `epoch` placing it in the run. */
export type Row = Record<string, number>;

export interface Fed {
  diagnoser: RunDiagnoser;
  ctx: RunContext;
  /** Changes per row, in row order. */
  changes: FindingChange[][];
  findings: Finding[];
}

export function feed(rows: Row[], diagnoser = new RunDiagnoser('test', [], { now: () => 1_000 }), ctx = new RunContext('test')): Fed {
  const changes: FindingChange[][] = [];
  let ts = 0;
  for (const { step, epoch, ...values } of rows) {
    const update = ctx.apply({ type: 'metrics', step, epoch, values, ts: ++ts });
    changes.push(update ? [...diagnoser.evaluate(ctx, update)] : []);
  }
  return { diagnoser, ctx, changes, findings: diagnoser.all() };
}

/** Findings of one kind at warning or critical. */
export function serious(fed: Fed, kind: FindingKind): Finding[] {
  return fed.findings.filter((f) => f.kind === kind && f.severity !== 'info');
}

/** Index of the row at which a kind was first raised (any severity), or -1. */
export function raisedAt(fed: Fed, kind: FindingKind): number {
  return fed.changes.findIndex((cs) => cs.some((c) => c.type === 'finding_raised' && c.finding.kind === kind));
}

/** Index of the row at which a kind was resolved, or -1. */
export function resolvedAt(fed: Fed, kind: FindingKind): number {
  return fed.changes.findIndex((cs) => cs.some((c) => c.type === 'finding_resolved' && c.finding.kind === kind));
}

/** Deterministic noise in [-1, 1) (a linear congruential generator), so tests never flake. */
export function noise(seed = 1): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  };
}

/** n epoch rows from a function of the epoch (1-based). */
/**
 * The same points with each metric in a row of its own at the point's step and epoch, in the order
 * given (as TensorBoard's add_scalar or one MLflow log_metric call per metric sends them).
 */
export function oneMetricPerRow(rows: Row[], order?: string[]): Row[] {
  return rows.flatMap(({ step, epoch, ...values }) =>
    (order ?? Object.keys(values)).filter((k) => k in values).map((k) => ({ step, epoch, [k]: values[k] })),
  );
}

export function epochs(n: number, row: (e: number) => Row, stepsPerEpoch = 100): Row[] {
  return Array.from({ length: n }, (_, i) => ({ step: (i + 1) * stepsPerEpoch, epoch: i + 1, ...row(i + 1) }));
}

/**
 * A healthy fine-tune logged every 5 steps: warm-up then linear decay, a loss falling slowly
 * from 0.6 to 0.45 with ±`amp` uniform per-point noise (small batches), and an eval loss every 250 steps.
 */
export function noisyFinetune(seed = 12345, amp = 0.25): Row[] {
  const r = noise(seed);
  const rows: Row[] = [];
  for (let i = 5; i <= 2000; i += 5) {
    const lr = Math.min(i / 200, 1) * 5e-5 * (1 - i / 2000);
    rows.push({ step: i, epoch: i / 700, loss: (0.45 + 0.15 * Math.exp(-i / 500)) * (1 + amp * r()), learning_rate: lr, grad_norm: 2 + r() });
    if (i % 250 === 0) rows.push({ step: i, epoch: i / 700, eval_loss: 0.5 + 0.1 * Math.exp(-i / 500) + 0.005 * r() });
  }
  return rows;
}
