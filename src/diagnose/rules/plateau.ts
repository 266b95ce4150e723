// plateau: a loss stopped improving well above its floor.
import { defineRule, fmt, hadInstability, Reporter, round, where } from '../rule.ts';
import { actionsFor } from '../advice.ts';
import { Smoothed, Trend } from '../smooth.ts';

const T = {
  /** Points without a new best before calling it a plateau, at least... */
  minPatience: 10,
  /** ...and at least this share of the run so far, so a long healthy run's slow phase is not one. */
  patienceShare: 0.3,
  /**
   * ...and, when the run logs epochs, a whole epoch: ReduceLROnPlateau and early stopping count
   * their patience in epochs, and a step-level curve flat for a fraction of an epoch (often
   * while the schedule is still decaying the learning rate) says nothing yet.
   */
  minEpochs: 1,
  /** A rise of the logged lr by more than 1% restarts the patience (schedules move it by far more). */
  lrRise: 1.01,
  /** A new best must beat the old one by 0.5% to count as progress rather than noise. */
  progress: 0.005,
  /**
   * Training loss plateau: it had learned, its current level at least 20% under its start (else
   * see lr_too_low; the level rather than the best, which on a noisy curve is a lucky low)...
   */
  improved: 0.05,
  /** Flat, not rising: the current level is within 10% of the best (rising is overfitting / divergence). */
  nearBest: 1.1,
  /**
   * Well above its floor: still at 20% or more of the starting loss. Below that the run has
   * converged (most of the reachable improvement is made) and stopping there is not a problem.
   */
  floorShare: 0.2,
  /**
   * ...and the least-squares trend of the raw loss since the last progress is flat (under 2% of
   * fall across that stretch): on a noisy curve the best running median is a lucky low, so "no
   * new best" alone is not enough while the curve still slopes down.
   */
  flatTrend: 0.02,
  /** A fall across the stretch the noise leaves plausible that still counts as progress. */
  plausibleFall: 0.1,
  /** The level must be twenty units of the printed values' last digit at least (see Smoothed.resolves). */
  resolution: 0.05,
} as const;

/**
 * Validation progress that counts: 1% of the median of its last three evaluations. A validation
 * loss is computed over a fixed set and scatters far less than batch losses, and evaluations are
 * sparse: a median of three ignores one lucky evaluation and lags by one, where a median of five
 * would lag by epochs and miss a slow, steady improvement.
 */
const VAL_PROGRESS = 0.01;
const VAL_SPAN = 3;
/** Validation points after the training loss's last progress needed before a run that logs one is called stalled. */
const VAL_CONFIRM = 2;

interface State {
  val: Smoothed;
  valMark: number;
  /** The training-loss point count at the validation loss's last progress. */
  valProgressAt: number;
  /** Validation points since the last progress of either loss. */
  valSinceMark: number;
  mark: number;
  markCount: number;
  markStep: number | null;
  markEpoch: number | null;
  /** The logged point of that progress. */
  markPoint: number;
  sinceMark: Trend;
  report: Reporter;
}

export const plateau = defineRule<State>({
  kind: 'plateau',
  init: () => ({ val: new Smoothed(VAL_SPAN), valMark: Infinity, valProgressAt: 0, valSinceMark: 0, mark: Infinity, markCount: 0, markStep: null, markEpoch: null, markPoint: 0, sinceMark: new Trend(), report: new Reporter(Infinity) }),
  evaluate(ctx, update, state, facts) {
    const view = facts.view;
    // Validation progress is noted: a training loss that stalls while validation still improves
    // is no plateau.
    if (view.valLoss !== undefined && state.val.push(view.valLoss, update.step, update.epoch)) {
      // An evaluation logged at the point of the training loss's last progress (in an event of
      // its own) is not one after it.
      if (update.point !== state.markPoint) state.valSinceMark++;
      if (state.val.level < state.valMark * (1 - VAL_PROGRESS)) {
        state.valMark = state.val.level;
        state.valProgressAt = facts.loss.count;
        state.valSinceMark = 0;
      }
    }
    // While a schedule raises the learning rate (warm-up, a warm restart) a stalled loss is what
    // the schedule makes, not a plateau to decay the rate for: patience starts again after it.
    const lrRose = facts.lrRatio > T.lrRise;
    const name = view.lossName;
    if (!name || !facts.lossFed) return undefined;
    const s = facts.loss;
    if (!s.ready) return undefined;
    // Progress must beat the mark by 0.5% and by the loss's own scatter: the running median of a
    // noisy loss reaches a new low by chance now and then, which is no progress.
    if (lrRose || s.level < Math.min(state.mark * (1 - T.progress), state.mark - s.noise)) {
      state.mark = s.level;
      state.markCount = s.count;
      state.markStep = update.step;
      state.markEpoch = update.epoch;
      state.markPoint = update.point;
      state.valSinceMark = 0;
      state.sinceMark.reset();
      return state.report.clear();
    }
    state.sinceMark.push(s.last);
    const since = s.count - state.markCount;
    // The patience runs from the later of the two losses' last progress: a training loss that
    // stalls while the validation loss still improves is no problem, the model still gets better
    // where it matters; once both stall, it is.
    const stalled = s.count - Math.max(state.markCount, state.valProgressAt);
    if (stalled < Math.max(T.minPatience, T.patienceShare * s.count)) return undefined;
    if (update.epoch !== null && state.markEpoch !== null && update.epoch - state.markEpoch < T.minEpochs) return undefined;
    if (!(s.start > 0) || s.level > (1 - T.improved) * s.start) return undefined;
    if (s.level > T.nearBest * s.best || s.level < T.floorShare * s.start) return undefined;
    // Values printed too coarsely to show progress cannot show its absence either.
    if (!s.resolves(s.level, T.resolution)) return undefined;
    const trend = state.sinceMark.relative;
    if (trend !== null && trend < -T.flatTrend) return undefined;
    // Flat must be shown, not merely not disproved: on a noisy curve a short stretch's fitted line
    // is flat by chance while the loss still falls. Within three standard errors (the test is
    // repeated at every point, so two would pass by chance somewhere along a long run) the stretch
    // must not be falling by more than `plausibleFall`.
    const error = state.sinceMark.relativeError;
    if (trend !== null && error !== null && trend - 3 * error < -T.plausibleFall) return undefined;
    // A stall that a logged validation loss has not yet had the chance to confirm is none: one
    // validation point since the last progress cannot show whether the model stopped getting better.
    if (state.val.count > 0 && state.valSinceMark < VAL_CONFIRM) return undefined;
    if (hadInstability(facts)) return undefined;
    if (!state.report.due('warning', 1)) return undefined;
    return {
      kind: 'plateau',
      severity: 'warning',
      // Measured from the last real progress, not from the best: a noisy curve touches a new best
      // by a hair now and then without having improved.
      message: `${name} has made no progress beyond its noise for ${since} points, since ${fmt(state.mark)} at ${where(state.markStep, state.markEpoch)}: it is ${fmt(s.level)} at ${where(update.step, update.epoch)}, still ${fmt((s.level / s.start) * 100)}% of where it started.`,
      evidence: {
        metric: name,
        points_without_progress: since,
        level: round(s.level),
        best: round(s.best),
        best_step: s.bestStep,
        best_epoch: s.bestEpoch,
        start: round(s.start),
        lr: ctx.lastLr,
      },
      actions: actionsFor('plateau', ctx, facts, { bestAt: where(s.bestStep, s.bestEpoch), metric: name, best: s.best }),
    };
  },
});
