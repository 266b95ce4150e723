// slow_throughput: epochs or steps take markedly longer than they did at the start of the run.
import type { RunContext } from '../../context/run-context.ts';
import type { Detection, Severity } from '../../domain/findings.ts';
import { defineRule, fmt, Reporter, round, where, type RunFacts } from '../rule.ts';
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
  /**
   * A slowdown that starts within the baseline's points must not be taken into it: once the
   * baseline has three points, three in a row at the slowdown factor over it (and beyond its
   * scatter) end it there. One or two such points are hiccups and join the baseline as before.
   */
  baselineMin: 3,
  baselineBreak: 3,
  /** Running median of five at twice the baseline: markedly slower; four times: critical. */
  warnFactor: 2,
  criticalFactor: 4,
  /**
   * ...and half again slower than the slowest of the baseline points: timings of short CPU steps
   * scatter by 2-4x with the machine's other work, and a slowdown must stand out of what the run
   * itself showed when all was well.
   */
  overSlowest: 1.5,
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
  /**
   * Stalls: a data loader that starves the model now and then leaves most steps at their usual
   * time and a few far slower, which a median never sees. Over the last twenty points, steps more
   * than three times the typical one (the median), at least three of them, taking over half of
   * all the time spent beyond twice the typical step: most of the wall time is waiting.
   */
  stallWindow: 20,
  stallFactor: 3,
  stallPoints: 3,
  stallShare: 0.5,
} as const;

/** Durations, and a rate whose inverse is one (tokens or samples per second: seconds per unit). */
const TIMES = ['epoch_time', 'step_time', 'throughput'] as const;
const RATE = 2;

interface Timing {
  /** The last `stallWindow` durations, for stalls. */
  recent20: Float64Array;
  seen: number;
  first: number;
  prev: number;
  rising: boolean;
  base: Smoothed;
  /** The slowest of the baseline points: how much this run's timings scatter when all is well. */
  baseMax: number;
  recent: Smoothed;
  held: number;
  /** Points held back from the baseline while it may be breaking: value, step, epoch. */
  pending: Array<[number, number | null, number | null]>;
  /** The baseline is complete: it has its points, or a lasting slowdown ended it. */
  based: boolean;
}

interface State {
  timings: Timing[];
  report: Reporter;
}

export const slowThroughput = defineRule<State>({
  kind: 'slow_throughput',
  init: () => ({
    timings: TIMES.map(() => ({ recent20: new Float64Array(T.stallWindow), seen: 0, first: NaN, prev: NaN, rising: true, base: new Smoothed(), baseMax: 0, recent: new Smoothed(), held: 0, pending: [], based: false })),
    report: new Reporter(1.5),
  }),
  evaluate(ctx, update, state, facts) {
    for (let k = 0; k < TIMES.length; k++) {
      const raw = facts.view.get(TIMES[k]);
      if (raw === undefined || !Number.isFinite(raw) || raw <= 0) continue;
      // A rate is judged as the time one unit takes, so that slower is larger for every series.
      const v = k === RATE ? 1 / raw : raw;
      const t = state.timings[k];
      t.recent20[t.seen % T.stallWindow] = v;
      if (t.seen === 0) t.first = v;
      else if (t.rising && v <= t.prev) t.rising = false;
      t.prev = v;
      t.seen++;
      if (t.rising && t.seen >= T.clockPoints && v >= T.clockGrowth * t.first) continue;
      if (t.seen <= T.warmup) continue;
      const stall = k === RATE ? null : stalls(t);
      if (stall) {
        if (!state.report.due('warning', stall.share * 10)) return undefined;
        return describeStalls(ctx, facts, TIMES[k], stall, where(update.step, update.epoch));
      }
      if (!t.based) {
        if (!feedBaseline(t, v, update.step, update.epoch)) continue;
      } else t.recent.push(v, update.step, update.epoch);
      const baseline = t.base.level;
      const factor = t.recent.level / baseline;
      const extra = t.recent.level - baseline;
      const minExtra = k === 0 ? T.minExtraEpoch : k === RATE ? 0 : T.minExtraStep;
      const beyondScatter = t.recent.level >= T.overSlowest * t.baseMax;
      t.held = factor >= T.warnFactor && extra >= minExtra && beyondScatter ? t.held + 1 : 0;
      if (t.held < T.sustain) {
        if (factor < T.clearFactor) return state.report.clear();
        continue;
      }
      const severity: Severity = factor >= T.criticalFactor ? 'critical' : 'warning';
      if (!state.report.due(severity, factor)) return undefined;
      const name = TIMES[k];
      const message =
        k === RATE
          ? `throughput fell to ${fmt(1 / t.recent.level)} per second (running median) at ${where(update.step, update.epoch)}, ${fmt(factor)}x slower than the ${fmt(1 / baseline)} per second at the start of the run.`
          : `${name} is ${fmt(t.recent.level)} s (running median) at ${where(update.step, update.epoch)}, ${fmt(factor)}x the ${fmt(baseline)} s it took at the start of the run.`;
      const shown = (x: number): number => round(k === RATE ? 1 / x : x);
      return {
        kind: 'slow_throughput',
        severity,
        message,
        evidence: { metric: name, current: shown(t.recent.level), baseline: shown(baseline), factor: round(factor), points: t.held },
        actions: actionsFor('slow_throughput', ctx, facts),
      };
    }
    return undefined;
  },
});

/**
 * Feeds a point to the baseline while it is being built; true when the point went to `recent`
 * instead (with the slowdown that broke the baseline), to be judged.
 */
function feedBaseline(t: Timing, v: number, step: number | null, epoch: number | null): boolean {
  if (t.base.count >= T.baselineMin && v >= T.warnFactor * t.base.level && v >= T.overSlowest * t.baseMax) {
    t.pending.push([v, step, epoch]);
    if (t.pending.length < T.baselineBreak) return false;
    for (const [pv, ps, pe] of t.pending) t.recent.push(pv, ps, pe);
    t.pending.length = 0;
    t.based = true;
    return true;
  }
  for (const [pv, ps, pe] of t.pending) addBase(t, pv, ps, pe);
  t.pending.length = 0;
  addBase(t, v, step, epoch);
  t.based = t.base.count >= T.baselinePoints;
  return false;
}

function addBase(t: Timing, v: number, step: number | null, epoch: number | null): void {
  t.base.push(v, step, epoch);
  t.baseMax = Math.max(t.baseMax, v);
}

interface Stalls {
  typical: number;
  slow: number;
  share: number;
  worst: number;
  points: number;
}

/** Stalls over the last points of one duration series (see T.stallWindow), or null. */
function stalls(t: Timing): Stalls | null {
  // The first point (start-up) is not in the window.
  const n = Math.min(t.seen - T.warmup, T.stallWindow);
  if (n < T.stallPoints * 2) return null;
  const xs: number[] = [];
  for (let i = 0; i < n; i++) xs.push(t.recent20[(t.seen - 1 - i) % T.stallWindow]);
  const sorted = [...xs].sort((a, b) => a - b);
  const typical = sorted[(n - 1) >> 1];
  let total = 0;
  let lost = 0;
  let slow = 0;
  for (const x of xs) {
    total += x;
    if (x > T.stallFactor * typical) slow++;
    lost += Math.max(0, x - 2 * typical);
  }
  const share = total > 0 ? lost / total : 0;
  if (slow < T.stallPoints || share < T.stallShare) return null;
  return { typical, slow, share, worst: sorted[n - 1], points: n };
}

function describeStalls(ctx: RunContext, facts: RunFacts, name: string, s: Stalls, at: string): Detection {
  return {
    kind: 'slow_throughput',
    severity: 'warning',
    message: `${s.slow} of the last ${s.points} ${name} values up to ${at} are over ${T.stallFactor}x the typical ${fmt(s.typical)} s (the worst ${fmt(s.worst)} s): ${fmt(s.share * 100)}% of the time goes to stalls, most likely waiting for data.`,
    evidence: { metric: name, typical: round(s.typical), slow_points: s.slow, window: s.points, stall_share: round(s.share), worst: round(s.worst) },
    actions: actionsFor('slow_throughput', ctx, facts),
  };
}
