// lr_too_low: the loss barely moves from where it started while gradients are healthy.
import { stuck } from '../view.ts';
import { Trend } from '../smooth.ts';
import { defineRule, fmt, hadInstability, Reporter, round } from '../rule.ts';
import { actionsFor } from '../advice.ts';

const T = {
  /**
   * Loss points before judging, counted from the end of any LR warm-up (while the learning rate
   * still rises, a flat loss is expected): a handful of epochs or logging intervals in which any
   * usable learning rate visibly moves the loss, beyond a warm-up that is not logged (a few
   * epochs in detectors' defaults). The flat-trend condition guards slow starts.
   */
  minPoints: 5,
  /**
   * ...and a full epoch or fifty optimiser steps since the first loss point, when the run logs
   * them: per-step logging moves the loss little in five points, while a small data set makes
   * an epoch of a few steps.
   */
  minEpochs: 1,
  minSteps: 50,
  /**
   * ...and, when the run declared its length (total epochs or steps), 5% of it: a long schedule
   * starts slowly (a 300-epoch run moving 1% in its first epoch is on its way), a short one does not.
   */
  minProgress: 0.05,
  /** "Barely moved": the best smoothed loss is within 5% of the starting level. */
  stuckShare: 0.05,
  /**
   * Gradients count as healthy when no layer is dead and layers are within three orders of
   * magnitude of each other (otherwise the vanishing / dead-unit rules explain the stuck loss).
   */
  layerSpread: 1e-3,
  /**
   * The least-squares trend of the loss since any warm-up ended must be flat: falling less than 3%
   * across it (a run that is slowly getting going is not stuck) and rising less than 1% (a loss
   * that climbs has another problem than a small step size). Measured from the warm-up's end, not
   * over a window reaching into it: a loss that rose with the warm-up and falls after it is moving.
   */
  maxTrendFall: 0.03,
  maxTrendRise: 0.01,
  /**
   * A run whose first loss point is at step 10,000 or later resumed from a checkpoint: its first
   * loss is not an untrained model's, so a loss that stays where it was says nothing about the
   * learning rate. (Epoch numbers are not used: loggers number them too inconsistently.)
   */
  resumedStep: 10_000,
  /**
   * A learning rate of 1 or more is at or beyond the stable range of SGD and Adam for nearly every
   * network: a loss stuck there has another cause (saturated or dead units, a blow-up that left
   * the weights useless), and raising it further would be the wrong advice.
   */
  maxLr: 1,
  /** A fall across the stretch that the fitted line's standard error leaves plausible and that would still be progress. */
  plausibleFall: 0.1,
  /** Improved by over 10% since: learning after all. */
  clearShare: 0.1,
  /**
   * A loss that rose with an unlogged warm-up and now falls fits a flat line over the whole
   * stretch: the later half of it (at least three points, at most `recentCap`) must not be falling
   * by more than `maxTrendFall` beyond two of its standard errors, which a flat, noisy loss does
   * by chance only rarely.
   */
  recentCap: 200,
  recentErrors: 2,
  /** The starting level must be twenty units of the printed values' last digit at least (see Smoothed.resolves). */
  resolution: 0.05,
} as const;

interface State {
  firstStep: number | null;
  firstEpoch: number | null;
  sinceWarmup: number;
  /** The loss since the learning rate last rose (or since the start). */
  trend: Trend;
  /** Its latest values, up to `recentCap` in a ring (`pushed` counts them all), for the trend of the later half. */
  recent: Float64Array;
  pushed: number;
  unhealthy: boolean;
  report: Reporter;
}

export const lrTooLow = defineRule<State>({
  kind: 'lr_too_low',
  init: () => ({ firstStep: null, firstEpoch: null, sinceWarmup: 0, trend: new Trend(), recent: new Float64Array(T.recentCap), pushed: 0, unhealthy: false, report: new Reporter(Infinity) }),
  evaluate(ctx, update, state, facts) {
    const view = facts.view;
    if (view.layers > 0 && (view.zeros > 0 || view.spread < T.layerSpread)) state.unhealthy = true;
    if (view.gradNorm !== undefined && !(view.gradNorm > 0)) state.unhealthy = true;
    if (facts.lrRatio > 1) {
      state.sinceWarmup = 0;
      state.trend.reset();
      state.pushed = 0;
    }
    const name = view.lossName;
    if (!name || !facts.lossFed) return undefined;
    state.sinceWarmup++;
    state.trend.push(facts.loss.last);
    state.recent[state.pushed++ % T.recentCap] = facts.loss.last;
    state.firstStep ??= update.step;
    state.firstEpoch ??= update.epoch;
    if ((state.firstStep ?? 0) >= T.resumedStep) return undefined;
    const s = facts.loss;
    if (!stuck(s, T.clearShare)) return state.report.clear();
    if (state.sinceWarmup < T.minPoints || !stuck(s, T.stuckShare)) return undefined;
    // A start of a few units of the printed values' last digit cannot show whether the loss moved.
    if (!s.resolves(s.start, T.resolution)) return undefined;
    if (!spanned(state, update.step, update.epoch)) return undefined;
    const progress = ctx.progress();
    if (progress !== null && progress < T.minProgress) return undefined;
    // A stuck loss after a blow-up, or with dead / vanishing layers, has another cause.
    if (state.unhealthy || hadInstability(facts)) return undefined;
    if (ctx.lastLr !== null && ctx.lastLr >= T.maxLr) return undefined;
    const trend = state.trend.relative;
    if (trend === null || trend < -T.maxTrendFall || trend > T.maxTrendRise) return undefined;
    // Flat must be shown, not merely not disproved: a few points that jump by a fifth either way
    // fit a flat line by chance while the loss may be falling (or the step be too large).
    const error = state.trend.relativeError;
    if (error === null || trend - error < -T.plausibleFall) return undefined;
    if (fallingNow(state)) return undefined;
    if (!state.report.due('warning', 1)) return undefined;
    const change = (s.start - s.level) / s.start;
    const grad = ctx.get('grad_norm');
    return {
      kind: 'lr_too_low',
      severity: 'warning',
      message:
        `After ${s.count} points ${name} is ${fmt(s.level)}, ${fmt(Math.abs(change) * 100)}% ${change >= 0 ? 'below' : 'above'} where it started (${fmt(s.start)})` +
        (grad ? `, although gradients are healthy (norm ${fmt(grad.ema)})` : '') +
        (ctx.lastLr !== null ? ` at lr ${fmt(ctx.lastLr)}` : '') +
        ': the learning rate is too low to make progress.',
      evidence: {
        metric: name,
        points: s.count,
        start: round(s.start),
        level: round(s.level),
        best: round(s.best),
        relative_change: round(change),
        window_trend: round(trend),
        grad_norm: grad ? round(grad.ema) : null,
        lr: ctx.lastLr,
      },
      actions: actionsFor('lr_too_low', ctx, facts),
    };
  },
});

/** Whether the later half of the values kept falls clearly: by `maxTrendFall`, and beyond `recentErrors` standard errors. */
function fallingNow(state: State): boolean {
  const kept = Math.min(state.pushed, T.recentCap);
  const half = new Trend();
  for (let i = state.pushed - Math.ceil(kept / 2); i < state.pushed; i++) half.push(state.recent[i % T.recentCap]);
  const trend = half.relative;
  const error = half.relativeError;
  return trend !== null && error !== null && trend < -T.maxTrendFall && trend + T.recentErrors * error < 0;
}

/** Enough of the run has passed: an epoch or enough steps, whichever the run logs (either will do). */
function spanned(state: State, step: number | null, epoch: number | null): boolean {
  const byEpoch = epoch !== null && state.firstEpoch !== null;
  const bySteps = step !== null && state.firstStep !== null;
  if (!byEpoch && !bySteps) return true;
  return (byEpoch && epoch - state.firstEpoch! >= T.minEpochs) || (bySteps && step - state.firstStep! >= T.minSteps);
}
