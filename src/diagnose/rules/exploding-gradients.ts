// exploding_gradients: the gradient norm grew by orders of magnitude over its own baseline.
import type { Severity } from '../../domain/findings.ts';
import { defineRule, fmt, lrAction, Reporter, round, where } from '../rule.ts';
import { LogBaseline, Smoothed } from '../smooth.ts';

const T = {
  /**
   * Weight of a new point in the baseline (a geometric mean over about the last ten points):
   * slow enough that a burst stands out, fast enough to follow the normal decay of gradients.
   */
  baselineAlpha: 0.1,
  /** Points before the baseline is trusted. */
  minPoints: 3,
  /**
   * A single point this far over the baseline. Healthy runs, step-level ones included, stay
   * within about 4x of this baseline; blow-ups reach 100x and more: 20x sits between the two
   * on a log scale.
   */
  spikeFactor: 20,
  /** The running median of three this far over the baseline (healthy: up to ~3x): a lasting rise. */
  sustainedFactor: 6,
  /** Three orders of magnitude: critical. */
  criticalFactor: 1000,
  /** Median back within 3x of the baseline for this many points: over. */
  clearFactor: 3,
  clearPoints: 10,
} as const;

interface State {
  base: LogBaseline;
  recent: Smoothed;
  calm: number;
  report: Reporter;
  peak: number;
}

export const explodingGradients = defineRule<State>({
  kind: 'exploding_gradients',
  init: () => ({ base: new LogBaseline(T.baselineAlpha), recent: new Smoothed(3), calm: 0, report: new Reporter(), peak: 0 }),
  evaluate(ctx, update, state, facts) {
    const g = facts.view.gradNorm;
    if (g === undefined || !Number.isFinite(g)) return undefined;
    state.recent.push(g, update.step, update.epoch);
    const baseline = state.base.value;
    const trusted = state.base.count >= T.minPoints && baseline > 0;
    const factor = trusted ? g / baseline : 0;
    const medianFactor = trusted ? state.recent.level / baseline : 0;
    // The baseline stays frozen while gradients are exploding, so that "back to normal" is judged
    // against what normal was, not against the explosion itself.
    const exploding = trusted && (factor >= T.spikeFactor || medianFactor >= T.sustainedFactor);
    if (!exploding && !state.report.active) state.base.push(g);
    if (!exploding) {
      if (!state.report.active) return undefined;
      state.calm = medianFactor < T.clearFactor ? state.calm + 1 : 0;
      return state.calm >= T.clearPoints ? state.report.clear() : undefined;
    }
    state.calm = 0;
    const worst = Math.max(factor, medianFactor);
    state.peak = Math.max(state.peak, g);
    const severity: Severity = worst >= T.criticalFactor ? 'critical' : 'warning';
    if (!state.report.due(severity, worst)) return undefined;
    return {
      kind: 'exploding_gradients',
      severity,
      message:
        `The gradient norm reached ${fmt(g)} at ${where(update.step, update.epoch)}, ` +
        `${fmt(worst)}x its recent baseline of ${fmt(baseline)}: gradients are exploding.`,
      evidence: {
        grad_norm: round(g),
        running_median: round(state.recent.level),
        baseline: round(baseline),
        factor: round(worst),
        peak: round(state.peak),
        lr: ctx.lastLr,
      },
      actions: [
        `clip gradients (e.g. clip_grad_norm_ max_norm=${fmt(Math.max(1, baseline * 5))})`,
        lrAction(ctx, 0.1),
        'check weight initialisation (e.g. Kaiming / Xavier gain) and add normalisation layers',
      ],
    };
  },
});
