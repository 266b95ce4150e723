// slow_throughput: epochs or steps take markedly longer than they did at the start of the run.
import type { Severity } from '../../domain/findings.ts';
import { defineRule, fmt, Reporter, round, where } from '../rule.ts';
import { actionsFor } from '../advice.ts';
import { Smoothed } from '../smooth.ts';

const T = {
  /**
   * Points skipped before the baseline: the first epoch or steps include compilation, cache
   * warm-up and data-loader start, and are slow in every healthy run.
   */
  warmup: 1,
  /** Points whose median is the baseline (after the warm-up). */
  baselinePoints: 5,
  /** Running median of five at twice the baseline: markedly slower; four times: critical. */
  warnFactor: 2,
  criticalFactor: 4,
  /** ...held for five points in a row: a lasting slowdown, not a hiccup. */
  sustain: 5,
  /**
   * The slowdown must also add this many seconds per epoch / step: timings of a few
   * milliseconds jitter by 2x with OS scheduling alone and nobody can act on them.
   */
  minExtraEpoch: 0.5,
  minExtraStep: 0.05,
  /**
   * A "time" that only ever grows and has quadrupled over the first eight points is an elapsed
   * clock (YOLO's results.csv `time`), not a duration: no opinion on it.
   */
  clockPoints: 8,
  clockGrowth: 4,
  /** Back under 1.5x the baseline: cleared. */
  clearFactor: 1.5,
} as const;

const TIMES = ['epoch_time', 'step_time'] as const;

interface Timing {
  seen: number;
  first: number;
  prev: number;
  rising: boolean;
  base: Smoothed;
  recent: Smoothed;
  held: number;
}

interface State {
  timings: Timing[];
  report: Reporter;
}

export const slowThroughput = defineRule<State>({
  kind: 'slow_throughput',
  init: () => ({
    timings: TIMES.map(() => ({ seen: 0, first: NaN, prev: NaN, rising: true, base: new Smoothed(), recent: new Smoothed(), held: 0 })),
    report: new Reporter(1.5),
  }),
  evaluate(ctx, update, state, facts) {
    for (let k = 0; k < TIMES.length; k++) {
      const v = facts.view.get(TIMES[k]);
      if (v === undefined || !Number.isFinite(v) || v <= 0) continue;
      const t = state.timings[k];
      if (t.seen === 0) t.first = v;
      else if (t.rising && v <= t.prev) t.rising = false;
      t.prev = v;
      t.seen++;
      if (t.rising && t.seen >= T.clockPoints && v >= T.clockGrowth * t.first) continue;
      if (t.seen <= T.warmup) continue;
      if (t.base.count < T.baselinePoints) {
        t.base.push(v, update.step, update.epoch);
        continue;
      }
      t.recent.push(v, update.step, update.epoch);
      const baseline = t.base.level;
      const factor = t.recent.level / baseline;
      const extra = t.recent.level - baseline;
      const minExtra = k === 0 ? T.minExtraEpoch : T.minExtraStep;
      t.held = factor >= T.warnFactor && extra >= minExtra ? t.held + 1 : 0;
      if (t.held < T.sustain) {
        if (factor < T.clearFactor) return state.report.clear();
        continue;
      }
      const severity: Severity = factor >= T.criticalFactor ? 'critical' : 'warning';
      if (!state.report.due(severity, factor)) return undefined;
      const name = TIMES[k];
      return {
        kind: 'slow_throughput',
        severity,
        message: `${name} is ${fmt(t.recent.level)} s (running median) at ${where(update.step, update.epoch)}, ${fmt(factor)}x the ${fmt(baseline)} s it took at the start of the run.`,
        evidence: { metric: name, current: round(t.recent.level), baseline: round(baseline), factor: round(factor), points: t.held },
        actions: actionsFor('slow_throughput', ctx, facts),
      };
    }
    return undefined;
  },
});
