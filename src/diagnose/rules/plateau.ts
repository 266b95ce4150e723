// plateau: the loss improved, then stopped improving while still well above its floor (or validation never improved).
import type { RunContext } from '../../context/run-context.ts';
import type { Detection } from '../../domain/findings.ts';
import { defineRule, fmt, hadInstability, lrAction, Reporter, round, where } from '../rule.ts';
import { Smoothed } from '../smooth.ts';

const T = {
  /** Points without a new best before calling it a plateau, at least... */
  minPatience: 10,
  /** ...and at least this share of the run so far, so a long healthy run's slow phase is not one. */
  patienceShare: 0.3,
  /** A new best must beat the old one by 0.5% to count as progress rather than noise. */
  progress: 0.005,
  /** It had learned: the best level is at least 20% under the start (else see lr_too_low). */
  improved: 0.2,
  /** Flat, not rising: the current level is within 10% of the best (rising is overfitting / divergence). */
  nearBest: 1.1,
  /**
   * Well above its floor: still at 20% or more of the starting loss. Below that the run has
   * converged (most of the reachable improvement is made) and stopping there is not a problem.
   */
  floorShare: 0.2,
  /**
   * Validation loss that never left its start (its best within 3% of it) over eight or more
   * evaluations while the training loss fell by over 10%: nothing learned carries over to
   * held-out data, a plateau from the first epoch.
   */
  valPoints: 8,
  valStuck: 0.03,
  trainFell: 0.1,
} as const;

interface State {
  loss: Smoothed;
  val: Smoothed;
  train: Smoothed;
  mark: number;
  markCount: number;
  report: Reporter;
}

export const plateau = defineRule<State>({
  kind: 'plateau',
  init: () => ({ loss: new Smoothed(), val: new Smoothed(), train: new Smoothed(), mark: Infinity, markCount: 0, report: new Reporter(Infinity) }),
  evaluate(ctx, update, state, facts) {
    const view = facts.view;
    if (view.trainLoss !== undefined) state.train.push(view.trainLoss, update.step, update.epoch);
    if (view.valLoss !== undefined && state.val.push(view.valLoss, update.step, update.epoch) && valStuck(state)) {
      if (hadInstability(facts) || !state.report.due('warning', 1)) return undefined;
      return describeValStuck(ctx, state, where(update.step, update.epoch));
    }
    const name = view.lossName;
    const v = view.loss;
    if (!name || v === undefined || !state.loss.push(v, update.step, update.epoch)) return undefined;
    const s = state.loss;
    if (!s.ready) return undefined;
    if (s.level < state.mark * (1 - T.progress)) {
      state.mark = s.level;
      state.markCount = s.count;
      return state.report.clear();
    }
    const since = s.count - state.markCount;
    if (since < Math.max(T.minPatience, T.patienceShare * s.count)) return undefined;
    if (!(s.start > 0) || s.best > (1 - T.improved) * s.start) return undefined;
    if (s.level > T.nearBest * s.best || s.level < T.floorShare * s.start) return undefined;
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
      actions: [
        `${lrAction(ctx, 0.1)} (or ReduceLROnPlateau with factor 0.1)`,
        `or stop early: the best ${name} was ${fmt(s.best)} at ${where(s.bestStep, s.bestEpoch)}`,
        'if it must go lower, a larger model or better features are needed',
      ],
    };
  },
});

/** Validation loss flat since its start while the training loss fell: see T.valPoints. */
function valStuck(state: State): boolean {
  const { val, train } = state;
  return (
    val.count >= T.valPoints &&
    val.start > 0 &&
    val.best >= (1 - T.valStuck) * val.start &&
    train.ready &&
    train.best <= (1 - T.trainFell) * train.start
  );
}

function describeValStuck(ctx: RunContext, state: State, at: string): Detection {
  const { val, train } = state;
  return {
    kind: 'plateau',
    severity: 'warning',
    message: `val_loss has stayed at ${fmt(val.level)} (it started at ${fmt(val.start)}) for ${val.count} evaluations up to ${at}, while train_loss fell from ${fmt(train.start)} to ${fmt(train.level)}: nothing the model learns carries over to the validation data.`,
    evidence: {
      metric: 'val_loss',
      evaluations: val.count,
      val_start: round(val.start),
      val_level: round(val.level),
      train_start: round(train.start),
      train_level: round(train.level),
      lr: ctx.lastLr,
    },
    actions: [
      'stop training: more epochs will not improve validation loss',
      'check that validation data and labels match the training data (same preprocessing, same label mapping)',
      'add regularisation or data (dropout, weight decay, augmentation), or lower the learning rate',
    ],
  };
}
