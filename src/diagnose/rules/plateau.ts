// plateau: a loss stopped improving well above its floor, or validation stalls while training still learns.
import type { RunContext } from '../../context/run-context.ts';
import type { Detection } from '../../domain/findings.ts';
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
  /**
   * Validation plateau: validation loss without 2% of progress (its noise is larger than the
   * training loss's) for eight evaluations and 30% of them, flat (within 10% of its best),
   * while over the same stretch the training loss fell by over 10% and is still over a tenth of
   * its start (not converged, so fitting is left to do): the model keeps fitting, nothing of it
   * carries over to held-out data. Patience counts from the first validation point, so a
   * validation loss that never improved at all is caught too.
   */
  valPatience: 8,
  valProgress: 0.02,
  trainFell: 0.1,
  trainUnconverged: 0.1,
} as const;

interface State {
  val: Smoothed;
  valMark: number;
  valMarkCount: number;
  trainAtValMark: number;
  /** A validation plateau is reported: training progress does not end it. */
  valStall: boolean;
  /** The training-loss point count at the validation loss's last progress. */
  valProgressAt: number;
  mark: number;
  markCount: number;
  markEpoch: number | null;
  sinceMark: Trend;
  report: Reporter;
}

export const plateau = defineRule<State>({
  kind: 'plateau',
  init: () => ({ val: new Smoothed(), valMark: Infinity, valMarkCount: 0, trainAtValMark: NaN, valStall: false, valProgressAt: 0, mark: Infinity, markCount: 0, markEpoch: null, sinceMark: new Trend(), report: new Reporter(Infinity) }),
  evaluate(ctx, update, state, facts) {
    const view = facts.view;
    if (view.valLoss !== undefined && state.val.push(view.valLoss, update.step, update.epoch)) {
      const verdict = valStalled(state, facts.train);
      if (verdict === 'stalled') {
        state.valStall = true;
        if (hadInstability(facts) || !state.report.due('warning', 1)) return undefined;
        return describeValStall(ctx, state, facts.train, where(update.step, update.epoch));
      }
      if (verdict === 'progress') state.valProgressAt = facts.loss.count;
      // Only validation progress ends a validation plateau (training progress is part of it).
      if (verdict === 'progress' && state.valStall) {
        state.valStall = false;
        return state.report.clear();
      }
    }
    const name = view.lossName;
    if (!name || !facts.lossFed) return undefined;
    const s = facts.loss;
    if (!s.ready) return undefined;
    if (s.level < state.mark * (1 - T.progress)) {
      state.mark = s.level;
      state.markCount = s.count;
      state.markEpoch = update.epoch;
      state.sinceMark.reset();
      return state.valStall ? undefined : state.report.clear();
    }
    state.sinceMark.push(s.last);
    const since = s.count - state.markCount;
    if (since < Math.max(T.minPatience, T.patienceShare * s.count)) return undefined;
    if (update.epoch !== null && state.markEpoch !== null && update.epoch - state.markEpoch < T.minEpochs) return undefined;
    if (!(s.start > 0) || s.level > (1 - T.improved) * s.start) return undefined;
    if (s.level > T.nearBest * s.best || s.level < T.floorShare * s.start) return undefined;
    const trend = state.sinceMark.relative;
    if (trend !== null && trend < -T.flatTrend) return undefined;
    // A training loss that stalls while the validation loss still improves is no problem: the
    // model still gets better where it matters.
    if (state.valProgressAt > state.markCount) return undefined;
    if (hadInstability(facts)) return undefined;
    if (!state.report.due('warning', 1)) return undefined;
    return {
      kind: 'plateau',
      severity: 'warning',
      message: `${name} has not improved for ${since} points: it is ${fmt(s.level)} at ${where(update.step, update.epoch)}, against a best of ${fmt(s.best)} at ${where(s.bestStep, s.bestEpoch)}, still ${fmt((s.level / s.start) * 100)}% of where it started.`,
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

/** Validation loss stalled while training loss still falls: see T.valPatience. */
function valStalled(state: State, train: Smoothed): 'progress' | 'stalled' | 'waiting' {
  const { val } = state;
  if (val.level < state.valMark * (1 - T.valProgress)) {
    state.valMark = val.level;
    state.valMarkCount = val.count;
    state.trainAtValMark = train.level;
    return 'progress';
  }
  const since = val.count - state.valMarkCount;
  const stalled =
    since >= Math.max(T.valPatience, T.patienceShare * val.count) &&
    val.level <= T.nearBest * val.best &&
    train.ready &&
    train.level <= (1 - T.trainFell) * state.trainAtValMark &&
    train.level >= T.trainUnconverged * train.start;
  return stalled ? 'stalled' : 'waiting';
}

function describeValStall(ctx: RunContext, state: State, train: Smoothed, at: string): Detection {
  const { val } = state;
  return {
    kind: 'plateau',
    severity: 'warning',
    message: `val_loss has not improved for ${val.count - state.valMarkCount} evaluations (it is ${fmt(val.level)} at ${at}, best ${fmt(val.best)} at ${where(val.bestStep, val.bestEpoch)}), while train_loss kept falling to ${fmt(train.level)}: what the model still learns does not carry over to the validation data.`,
    evidence: {
      metric: 'val_loss',
      evaluations_without_progress: val.count - state.valMarkCount,
      val_best: round(val.best),
      val_start: round(val.start),
      val_level: round(val.level),
      train_start: round(train.start),
      train_level: round(train.level),
      lr: ctx.lastLr,
    },
    actions: [
      `stop training, keeping the checkpoint at ${where(val.bestStep, val.bestEpoch)}: more epochs do not improve validation loss`,
      'check that validation data and labels match the training data (same preprocessing, same label mapping)',
      'add regularisation or data (dropout, weight decay, augmentation), or lower the learning rate',
    ],
  };
}
