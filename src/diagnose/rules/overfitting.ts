// overfitting: validation loss rises from its minimum (or accuracy falls) while training loss keeps falling.
import type { MetricsUpdate, RunContext } from '../../context/run-context.ts';
import type { Detection, Severity } from '../../domain/findings.ts';
import { defineRule, fmt, hadInstability, Reporter, round, where, type RunFacts } from '../rule.ts';
import { actionsFor } from '../advice.ts';
import { Smoothed, Trend } from '../smooth.ts';
import { qualityDirection } from '../../domain/aliases.ts';
import { metricPlace } from '../../domain/metric-groups.ts';

const T = {
  /**
   * Validation points before judging: a minimum and three later points (one median of three).
   * Fine-tuning runs evaluate rarely and may be at their best on the very first evaluation.
   */
  minPoints: 4,
  /**
   * Running median of three validation points over the lowest one. A run whose validation loss
   * ends within 15% of its minimum has not meaningfully overfit; 25% is a clear rise.
   */
  infoRatio: 1.1,
  warnRatio: 1.25,
  /** Twice the minimum: the model now generalises far worse than it did. */
  criticalRatio: 2,
  /**
   * The rise must stand out of the validation curve's own noise (its mean curvature, about one
   * standard deviation of the scatter) by four of them, so that a small, noisy validation set
   * bouncing around its minimum is not mistaken for a trend...
   */
  noiseMultiple: 4,
  /**
   * ...and give back at least 5% of the improvement made from the starting level to the
   * minimum: near a loss of zero ratios are large while the rise is a wobble of a falling curve.
   */
  minGiveBack: 0.05,
  /**
   * A steady climb (see steadyRise): evaluations since the best (a standard error from two or
   * three residuals is itself a guess), standard errors of the fitted line above flat, and
   * scatters of rise.
   */
  trendPoints: 8,
  trendErrors: 3,
  trendNoise: 2,
  /** Share of the rise that the line fitted since the best level must show. */
  trendShare: 0.5,
  /** Consecutive validation points the rise must hold. */
  sustain: 2,
  /** Training loss now no higher than 5% over what it was at the validation minimum: still fitting. */
  trainSlack: 1.05,
  /**
   * A run with only three evaluations (a fine-tune of a few epochs) has no noise estimate yet:
   * the newest validation loss must be 25% over the lowest with nothing lower between them, while
   * the training loss fell by over 30% since that lowest point: far more than a validation set
   * scatters by when the model has not changed much, and the model has.
   */
  shortRise: 1.25,
  shortTrainFall: 0.3,
  /**
   * Its first stage: validation loss without 2% of progress (its noise is larger than the
   * training loss's) for eight evaluations and 30% of them, flat (within 10% of its best), while
   * over the same stretch the training loss fell by over 10% and is still over a tenth of its
   * start (not converged, so fitting is left to do): what the model still learns does not carry
   * over to held-out data, the point early stopping is for. Patience counts from the first
   * validation point, so a validation loss that never improved at all is caught too.
   */
  stallPatience: 8,
  stallShare: 0.3,
  stallProgress: 0.02,
  stallNearBest: 1.1,
  trainFell: 0.1,
  trainUnconverged: 0.1,
  /** ...and a warning once the validation level stands two of its scatters above its best. */
  stallRise: 2,
  /** With accuracy only: the validation error must also have risen by two accuracy points. */
  minAccuracyDrop: 0.02,
} as const;

interface State {
  /** The best value (negated, as an error) of every validation score the run logs (`val_acc`, `val/mAP50`). */
  measures: Map<string, number>;
  /** Which value of each score was last noted (its count): a score logged in an event of its own is read once, at the next evaluation. */
  measuresNotedAt: Map<string, number>;
  /** The validation point count at the last progress of any of them. */
  measureProgressAt: number;
  val: Smoothed;
  /** The first validation value (as an error to minimise). */
  firstVal: number;
  lastRaw: number;
  /**
   * The training error (one minus the accuracy), kept whatever the run is judged by, so that a
   * switch to the validation loss and back loses none of it. The training loss is the engine's
   * (see `trainOf`).
   */
  trainError: Smoothed;
  trainAtMin: number;
  minCount: number;
  bestLevel: number;
  /** The validation curve's scatter when its best level was set (NaN before it has one of its own). */
  noiseAtBest: number;
  sinceBest: Trend;
  bestCount: number;
  held: number;
  /** The validation level at its last 2% of progress, when it was reached, and the training level then. */
  valMark: number;
  valMarkCount: number;
  trainAtValMark: number;
  /** Whether the run is judged by its validation loss (else its validation accuracy); null before any. */
  byLoss: boolean | null;
  report: Reporter;
}

function fresh(): State {
  return { measures: new Map(), measuresNotedAt: new Map(), measureProgressAt: 0, val: new Smoothed(3), firstVal: NaN, lastRaw: NaN, trainError: new Smoothed(), trainAtMin: NaN, minCount: 0, bestLevel: Infinity, noiseAtBest: NaN, sinceBest: new Trend(), bestCount: 0, held: 0, valMark: Infinity, valMarkCount: 0, trainAtValMark: NaN, byLoss: null, report: new Reporter(1.25) };
}

/** Never pushed: the training loss of a run that logs none. */
const NO_TRAIN_LOSS = new Smoothed();

/**
 * The training curve matching what the run is judged by: the training loss (the engine's judged
 * loss whenever it is the training loss), or the training error.
 */
function trainOf(state: State, facts: RunFacts): Smoothed {
  if (!state.byLoss) return state.trainError;
  return facts.lossName === 'train_loss' ? facts.loss : NO_TRAIN_LOSS;
}

export const overfitting = defineRule<State>({
  kind: 'overfitting',
  init: fresh,
  evaluate(ctx, update, state, facts) {
    const byLoss = ctx.series.has('val_loss');
    // A validation loss first logged after a validation accuracy (each metric in an event of its
    // own) takes over: what was read of the accuracy, as an error, is no loss to compare with.
    if (state.byLoss !== byLoss) {
      if (state.byLoss !== null) Object.assign(state, fresh(), { trainError: state.trainError });
      state.byLoss = byLoss;
    }
    const view = facts.view;
    const train = trainOf(state, facts);
    if (view.trainAcc !== undefined) state.trainError.push(1 - view.trainAcc, update.step, update.epoch);
    const raw = byLoss ? view.valLoss : view.valAcc;
    // A value repeated exactly is the same evaluation logged again (YOLO's results.csv repeats
    // it between validations), not a new measurement: counted twice it would hide the noise.
    if (raw === undefined || raw === state.lastRaw) return undefined;
    state.lastRaw = raw;
    // Judged as an error to minimise: the loss, or one minus the accuracy.
    const val = state.val;
    if (!val.push(byLoss ? raw : 1 - raw, update.step, update.epoch)) return undefined;
    if (val.count === 1) state.firstVal = val.last;
    if (byLoss) noteMeasures(ctx, state);
    if (val.minCount !== state.minCount) state.minCount = val.minCount;
    // The lowest running median from the first evaluation on (a run evaluated five times may be
    // at its best on the first), where the training loss stood then.
    if (val.level < state.bestLevel) {
      state.bestLevel = val.level;
      state.bestCount = val.count;
      state.noiseAtBest = val.settledNoise;
      state.trainAtMin = train.level;
      state.sinceBest.reset();
    }
    state.sinceBest.push(val.last);
    if (!(val.min > 0)) return undefined;
    const stall = byLoss && stalled(state, train);
    if (val.count < T.minPoints) return byLoss ? shortRun(ctx, update, state, facts, raw, train) : undefined;
    // The rise is judged once two points followed the lowest running median: on a falling curve
    // the running median lags above the newest (lowest) point and would look like a rise.
    // The lowest credible level: the lowest point where the curve is smooth (a sharp V-shaped
    // minimum is real), but no lower than two scatters under the lowest running median, where a
    // lucky evaluation would otherwise set the mark.
    // Values printed with few decimals may have been up to one unit of their last digit more.
    const best = Math.max(val.min, state.bestLevel - 2 * val.noise) + val.quantum;
    const ratio = val.count - state.bestCount >= 2 && best > 0 ? val.level / best : 1;
    if (ratio < T.infoRatio) {
      state.held = 0;
      if (!stall) return state.report.clear();
      // A validation loss still within its scatter of its best has converged where early stopping
      // would stop: worth a note. One that creeps measurably above it is the first stage of overfitting.
      const severity: Severity = val.level - val.best >= T.stallRise * val.noise ? 'warning' : 'info';
      if (hadInstability(facts) || !state.report.due(severity, 1)) return undefined;
      return describeStall(ctx, state, facts, where(update.step, update.epoch), severity);
    }
    const rise = val.level - best;
    // Where the training loss stood at the validation best, or, when it was first logged after
    // it, where it started; a run that logs none is judged on its validation loss alone.
    const t = train;
    const trainRef = Number.isFinite(state.trainAtMin) ? state.trainAtMin : t.ready ? t.start : NaN;
    const trainFalling = t.count === 0 || (Number.isFinite(trainRef) && !(t.level > trainRef * T.trainSlack));
    const improvement = val.start - best;
    const gaveBack = improvement > 0 ? rise >= T.minGiveBack * improvement : true;
    // A trend, not a high stretch of scatter: the line fitted through the points since the best
    // level rises by at least half the rise of the running median.
    const fitted = state.sinceBest.relative;
    const trending = fitted !== null && fitted * Math.abs(state.sinceBest.mean) >= T.trendShare * rise;
    // A rise is judged against the scatter the curve had at its best: the rise itself, three
    // evaluations up and one back, is curvature that would otherwise count as noise.
    const noise = val.noiseSince(state.noiseAtBest);
    const holds = (rise >= T.noiseMultiple * noise || steadyRise(state.sinceBest, rise, noise)) && trending && gaveBack && trainFalling && (byLoss || rise >= T.minAccuracyDrop);
    state.held = holds ? state.held + 1 : 0;
    if (state.held < T.sustain) return undefined;
    // After a blow-up the validation loss rises because the weights were damaged, not because
    // the model memorised its training set: note it, do not call it overfitting.
    const after = hadInstability(facts);
    const severity: Severity = after ? 'info' : ratio >= T.criticalRatio ? 'critical' : ratio >= T.warnRatio ? 'warning' : 'info';
    if (!state.report.due(severity, ratio)) return undefined;
    const at = where(val.minStep, val.minEpoch);
    const metric = byLoss ? 'val_loss' : 'val_acc';
    const bestPoint = byLoss ? val.min : 1 - val.min;
    const now = byLoss ? val.level : 1 - val.level;
    const trainNow = byLoss ? train.level : 1 - train.level;
    return {
      kind: 'overfitting',
      severity,
      message:
        `${metric} has gone from its best ${fmt(bestPoint)} at ${at} to ${fmt(now)} at ${where(update.step, update.epoch)}` +
        (train.ready ? ` while ${byLoss ? 'train_loss' : 'train_acc'} kept improving (${fmt(trainNow)})` : '') +
        ': the model is overfitting.',
      evidence: {
        metric,
        best: round(bestPoint),
        best_step: val.minStep,
        best_epoch: val.minEpoch,
        best_level: round(byLoss ? best : 1 - best),
        current: round(now),
        ratio: round(ratio),
        noise: round(val.noise),
        train: train.ready ? round(trainNow) : null,
      },
      actions: actionsFor('overfitting', ctx, facts, { bestAt: `${at} (${metric} ${fmt(bestPoint)})`, metric }),
    };
  },
});

/**
 * A rise shown by many evaluations rather than by one level: the line fitted since the best rises
 * by three of its standard errors (the test is repeated at every evaluation) and by two scatters.
 * One level must clear four scatters to stand out of the noise; a slope through twenty noisy
 * evaluations averages the noise down, so a steady climb is seen before its level clears that bar.
 */
function steadyRise(since: Trend, rise: number, noise: number): boolean {
  const fitted = since.relative;
  const error = since.relativeError;
  if (since.count < T.trendPoints || fitted === null || error === null) return false;
  return fitted - T.trendErrors * error > 0 && fitted * Math.abs(since.mean) >= T.trendNoise * noise && rise >= T.trendNoise * noise;
}

/** Overfitting read from the three evaluations of a short run (see T.shortRise). */
function shortRun(ctx: RunContext, update: MetricsUpdate, state: State, facts: RunFacts, raw: number, train: Smoothed): Detection | undefined {
  const { val } = state;
  if (val.count < 3 || val.minCount === val.count || !train.ready) return undefined;
  // A minimum reached by a fall is only the curve's movement at this stage: the rise from it must
  // be larger than the fall that led to it (the one measure of how far evaluations move yet).
  const fall = val.minCount > 1 ? state.firstVal - val.min : 0;
  const risen = raw >= T.shortRise * val.min && raw - val.min > fall;
  const trainFell = train.last <= (1 - T.shortTrainFall) * state.trainAtMin;
  if (!risen || !trainFell || hadInstability(facts) || !state.report.due('warning', raw / val.min)) return undefined;
  const at = where(val.minStep, val.minEpoch);
  return {
    kind: 'overfitting',
    severity: 'warning',
    message: `val_loss rose from ${fmt(val.min)} at ${at} to ${fmt(raw)} at ${where(update.step, update.epoch)} (${fmt(raw / val.min)}x) while train_loss fell from ${fmt(state.trainAtMin)} to ${fmt(train.last)}: the model is starting to overfit.`,
    evidence: { metric: 'val_loss', best: round(val.min), best_step: val.minStep, best_epoch: val.minEpoch, current: round(raw), ratio: round(raw / val.min), train: round(train.last), train_at_best: round(state.trainAtMin) },
    actions: actionsFor('overfitting', ctx, facts, { bestAt: `${at} (val_loss ${fmt(val.min)})`, metric: 'val_loss' }),
  };
}

/** Validation loss stalled while training loss still falls: see T.stallPatience. */
function stalled(state: State, train: Smoothed): boolean {
  const { val } = state;
  if (val.level < state.valMark * (1 - T.stallProgress)) {
    state.valMark = val.level;
    state.valMarkCount = val.count;
    state.trainAtValMark = train.level;
    return false;
  }
  // Progress of a validation score (an accuracy, mAP, F1) is progress too: the model still gets
  // better on held-out data where it counts.
  const since = val.count - Math.max(state.valMarkCount, state.measureProgressAt);
  return (
    since >= Math.max(T.stallPatience, T.stallShare * val.count) &&
    val.level <= T.stallNearBest * val.best &&
    train.ready &&
    train.level <= (1 - T.trainFell) * state.trainAtValMark &&
    train.level >= T.trainUnconverged * train.start
  );
}

/** Scores by name, read once per name: where the name puts them (see `isScore`), or null for no score. */
const SCORES = new Map<string, 'val' | 'unsplit' | null>();

function scorePlace(name: string): 'val' | 'unsplit' | null {
  let place = SCORES.get(name);
  if (place === undefined) {
    const { group, split } = metricPlace(name);
    place = qualityDirection(name) !== -1 ? null : group === 'val' ? 'val' : split === null && group === 'other' ? 'unsplit' : null;
    if (SCORES.size >= 10_000) SCORES.clear();
    SCORES.set(name, place);
  }
  return place;
}

/**
 * A validation score, higher better (accuracy, mAP, F1): what the model is trained for. A loss
 * term falling beside it is not enough (a detector's class loss falls while its box loss, and
 * mAP with it, stall), but a score still rising means the model still gets better. A score whose
 * name gives no split (a detector's `metrics/mAP50`) is the held-out one unless the run also logs
 * it under a validation name (Keras's `dice_coef` beside `val_dice_coef` is the training one).
 */
function isScore(ctx: RunContext, name: string): boolean {
  const place = scorePlace(name);
  return place === 'val' || (place === 'unsplit' && !ctx.latest.has(`val_${name}`) && !ctx.latest.has(`val/${name}`));
}

/** Notes which validation scores this evaluation improved by the progress that counts. */
function noteMeasures(ctx: RunContext, state: State): void {
  const own = ctx.get('val_loss')?.source;
  for (const [name, latest] of ctx.latest) {
    if (name === own || !Number.isFinite(latest.value) || state.measuresNotedAt.get(name) === latest.n) continue;
    if (!isScore(ctx, name)) continue;
    state.measuresNotedAt.set(name, latest.n);
    const error = -latest.value;
    const best = state.measures.get(name);
    if (best === undefined) state.measures.set(name, error);
    else if (best - error > T.stallProgress * Math.abs(best)) {
      state.measures.set(name, error);
      state.measureProgressAt = state.val.count;
    }
  }
}

function describeStall(ctx: RunContext, state: State, facts: RunFacts, at: string, severity: Severity): Detection {
  const { val } = state;
  const train = trainOf(state, facts);
  const since = val.count - state.valMarkCount;
  const bestAt = where(val.minStep, val.minEpoch);
  return {
    kind: 'overfitting',
    severity,
    message: `val_loss has not improved for ${since} evaluations (it is ${fmt(val.level)} at ${at}, best ${fmt(val.min)} at ${bestAt}), while train_loss kept falling to ${fmt(train.level)}: ${severity === 'info' ? 'it has converged on held-out data, where early stopping would stop.' : 'what the model still learns does not carry over to the validation data, the first stage of overfitting.'}`,
    evidence: {
      metric: 'val_loss',
      evaluations_without_progress: since,
      val_best: round(val.min),
      val_level: round(val.level),
      train_at_last_progress: round(state.trainAtValMark),
      train_level: round(train.level),
    },
    actions: actionsFor('overfitting', ctx, facts, { bestAt: `${bestAt} (val_loss ${fmt(val.min)})`, metric: 'val_loss' }),
  };
}
