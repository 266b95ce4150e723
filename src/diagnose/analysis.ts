// The recorder seed's run analysis (summary, stability, overfitting score, convergence) and run comparison.
import type { RunContext } from '../context/run-context.ts';
import type { Series } from '../context/series.ts';
import { lowerIsBetter } from '../domain/aliases.ts';
import type { ConvergenceStatus, OverfittingScore, RunAnalysis, RunComparison, RunRank, RunRanking, Stability } from '../domain/analysis.ts';
import type { Finding, FindingKind } from '../domain/findings.ts';
import { Smoothed } from './smooth.ts';

const A = {
  /** Relative change across the window under which a curve counts as flat (converged): 5%. */
  flat: 0.05,
  /** Relative noise (std / mean) of the training loss window over which, with no trend, it is unstable. */
  noisy: 0.5,
  /** A 50% rise of validation loss over its minimum scores the full overfitting weight. */
  fullRise: 0.5,
  /** The rise dominates the score; a train/val gap alone is normal, so it weighs a quarter. */
  riseWeight: 0.75,
  /** The score of a run that raised overfitting starts here; one that did not stays under it. */
  raisedFloor: 0.5,
  /** Best values this close (relatively) are a tie between runs. */
  tie: 1e-3,
} as const;

const BLOWUPS: readonly FindingKind[] = ['nan_loss', 'divergence', 'exploding_gradients'];

function orNull(n: number): number | null {
  return Number.isFinite(n) ? n : null;
}

/** Slope, relative change across the window, and relative noise of one series' window. */
function trend(s: Series | undefined): { slope: number | null; relative: number | null; cv: number | null } {
  const w = s?.window;
  if (!w || w.size < 2) return { slope: null, relative: null, cv: null };
  const slope = w.slope();
  const mean = w.mean();
  const span = w.x(w.size - 1) - w.x(0);
  const scale = Math.abs(mean);
  return {
    slope: orNull(slope),
    relative: scale > 0 ? orNull((slope * span) / scale) : null,
    cv: scale > 0 ? orNull(w.std() / scale) : null,
  };
}

/** Median of a few numbers (sorts a copy). */
function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n % 2 ? s[(n - 1) >> 1] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/**
 * Overfitting score in 0..1: 0.75 x min(1, rise / 0.5) + 0.25 x gap. The rise is measured as the
 * rule measures it, from windows rather than points: the median of the last five validation
 * losses over the lowest running median of three, less twice the curve's own scatter (the median
 * point-to-point change), so a noisy validation curve bouncing around a lucky low scores nothing.
 * The gap is (val - train) / val of the latest losses when validation is worse. The score agrees
 * with the findings: at least 0.5 when the run raised overfitting, under 0.5 when it did not.
 */
export function overfittingScore(ctx: RunContext, findings: readonly Finding[] = []): OverfittingScore {
  const val = ctx.get('val_loss');
  const train = ctx.get('train_loss');
  const ys: number[] = [];
  if (val) for (let k = 0; k < val.window.size; k++) ys.push(val.window.y(k));
  if (!val || ys.length < 3 || !(val.min > 0)) return { score: 0, val_rise: null, generalisation_gap: null };
  // The lowest running median of three, by the same smoothing the rules use.
  const smoothed = new Smoothed(3);
  for (const y of ys) smoothed.push(y, null, null);
  const best = smoothed.best;
  const now = median(ys.slice(-5));
  const scatter = median(ys.slice(1).map((y, k) => Math.abs(y - ys[k]))) / best;
  const rise = Math.max(0, now / best - 1 - 2 * scatter);
  const gap = train && Number.isFinite(train.last) && now > train.last && now > 0 ? (now - train.last) / now : 0;
  let score = A.riseWeight * Math.min(1, rise / A.fullRise) + (1 - A.riseWeight) * Math.min(1, gap);
  const raised = findings.some((f) => f.kind === 'overfitting' && f.severity !== 'info');
  score = raised ? Math.max(A.raisedFloor, score) : Math.min(A.raisedFloor - 0.01, score);
  return { score: Math.round(Math.min(1, Math.max(0, score)) * 1000) / 1000, val_rise: rise, generalisation_gap: train ? gap : null };
}

function convergence(stability: Stability, open: readonly Finding[]): ConvergenceStatus {
  const serious = open.filter((f) => f.severity !== 'info');
  if (serious.some((f) => BLOWUPS.includes(f.kind))) return 'diverging';
  if (serious.some((f) => f.kind === 'oscillation')) return 'unstable';
  // A validation loss rising while an overfitting finding explains it says the model stopped
  // generalising, not that training diverges: convergence is then read from the training loss.
  const overfit = serious.some((f) => f.kind === 'overfitting');
  const relative = overfit ? (stability.train_loss_relative ?? stability.val_loss_relative) : (stability.val_loss_relative ?? stability.train_loss_relative);
  if (relative === null) return 'converging';
  if (relative > A.flat * 4) return 'diverging';
  if (Math.abs(relative) <= A.flat && (stability.train_loss_cv ?? 0) > A.noisy) return 'unstable';
  return relative < -A.flat ? 'converging' : 'converged';
}

/** The analysis of a run from its rolling context and its findings. */
export function analyzeRun(ctx: RunContext, findings: readonly Finding[], opts: { timed?: boolean } = {}): RunAnalysis {
  const best = ctx.best();
  const train = ctx.get('train_loss');
  const val = ctx.get('val_loss');
  const t = trend(train);
  const v = trend(val);
  const stability: Stability = {
    train_loss_slope: t.slope,
    val_loss_slope: v.slope,
    train_loss_relative: t.relative,
    val_loss_relative: v.relative,
    train_loss_cv: t.cv,
    val_loss_cv: v.cv,
    window_points: Math.max(train?.window.size ?? 0, val?.window.size ?? 0),
  };
  const open = findings.filter((f) => f.status === 'open');
  const counts = { info: 0, warning: 0, critical: 0 };
  for (const f of findings) counts[f.severity]++;
  // Without epoch times, the time between the first and last event is the training time only
  // when the events carry the trainer's own times (live, or a file with times): not an import's.
  const end = ctx.finishedAt ?? ctx.lastEventAt;
  const elapsed = (opts.timed ?? true) && end !== null ? ctx.elapsed(end) : null;
  const epochTimes = ctx.epochTimes();
  return {
    run: ctx.run,
    summary: {
      total_epochs: ctx.epoch,
      total_steps: ctx.step,
      best_metric: best?.metric ?? null,
      best_value: best ? orNull(best.value) : null,
      best_epoch: best?.epoch ?? null,
      best_step: best?.step ?? null,
      final_train_loss: train ? orNull(train.last) : null,
      final_val_loss: val ? orNull(val.last) : null,
      total_time_s: epochTimes ? epochTimes.sum : elapsed,
      avg_epoch_time_s: epochTimes ? epochTimes.sum / epochTimes.count : null,
    },
    stability,
    overfitting: overfittingScore(ctx, findings),
    convergence: convergence(stability, open),
    problems: [...new Set(open.filter((f) => f.severity !== 'info').map((f) => f.kind))],
    finding_counts: counts,
  };
}

/**
 * Ranks runs on the metric they share: the best metric most of them report (the first run's on a
 * tie of counts), better performer first. "Epochs to converge" is the epoch of the best value:
 * what early stopping would have kept. Best values within a relative 1e-3 of each other tie.
 */
export function compareRuns(analyses: readonly RunAnalysis[]): RunRanking {
  const counts = new Map<string, number>();
  for (const a of analyses) if (a.summary.best_metric !== null && a.summary.best_value !== null) counts.set(a.summary.best_metric, (counts.get(a.summary.best_metric) ?? 0) + 1);
  let metric: string | null = null;
  for (const [m, n] of counts) if (metric === null || n > counts.get(metric)!) metric = m;
  const reports = (a: RunAnalysis) => metric !== null && a.summary.best_metric === metric && a.summary.best_value !== null;
  if (metric === null || analyses.filter(reports).length < 2) {
    const ranking = analyses.map((a) => ({ run: a.run, rank: null, best_value: reports(a) ? a.summary.best_value : null, best_epoch: reports(a) ? a.summary.best_epoch : null, best_difference: null, epochs_to_converge_difference: null }));
    return { metric, lower_is_better: metric === null ? null : lowerIsBetter(metric), ranking };
  }
  const lower = lowerIsBetter(metric);
  const ranked = analyses.filter(reports).sort((x, y) => (lower ? 1 : -1) * (x.summary.best_value! - y.summary.best_value!));
  const leader = ranked[0].summary;
  const ranking: RunRank[] = [];
  for (const [i, a] of ranked.entries()) {
    const v = a.summary.best_value!;
    const before = ranking[i - 1];
    const tied = before && Math.abs(v - before.best_value!) <= A.tie * Math.max(Math.abs(v), Math.abs(before.best_value!), Number.MIN_VALUE);
    const e = a.summary.best_epoch;
    ranking.push({
      run: a.run,
      rank: tied ? before.rank : i + 1,
      best_value: v,
      best_epoch: e,
      best_difference: v - leader.best_value!,
      epochs_to_converge_difference: e !== null && leader.best_epoch !== null ? e - leader.best_epoch : null,
    });
  }
  for (const a of analyses) if (!reports(a)) ranking.push({ run: a.run, rank: null, best_value: null, best_epoch: null, best_difference: null, epochs_to_converge_difference: null });
  return { metric, lower_is_better: lower, ranking };
}

/** Two runs' ranking read as a pair: which did better, by how much, and how many more epochs it took. */
export function pairComparison(a: RunAnalysis, b: RunAnalysis): RunComparison {
  const { metric, lower_is_better: lower, ranking } = compareRuns([a, b]);
  const ra = ranking.find((r) => r.run === a.run)!;
  const rb = ranking.find((r) => r.run === b.run)!;
  const ae = a.summary.best_epoch;
  const be = b.summary.best_epoch;
  const epochs = ae !== null && be !== null ? ae - be : null;
  if (ra.rank === null || rb.rank === null) {
    return { better: 'tie', metric, best_difference: null, epochs_to_converge_difference: epochs, reason: 'the runs do not report the same best metric' };
  }
  const av = ra.best_value!;
  const bv = rb.best_value!;
  const better = ra.rank === rb.rank ? 'tie' : ra.rank < rb.rank ? 'a' : 'b';
  const reason =
    better === 'tie'
      ? `both reach ${metric} ${av.toPrecision(4)}`
      : `${better === 'a' ? a.run : b.run} reaches the ${lower ? 'lower' : 'higher'} ${metric} (${(better === 'a' ? av : bv).toPrecision(4)} against ${(better === 'a' ? bv : av).toPrecision(4)})`;
  return { better, metric, best_difference: av - bv, epochs_to_converge_difference: epochs, reason };
}
