// exploding_gradients: the gradient norm grew by orders of magnitude over its own normal range, or is huge.
import type { Severity } from '../../domain/findings.ts';
import { defineRule, fmt, Reporter, round, where } from '../rule.ts';
import { actionsFor } from '../advice.ts';

const T = {
  /**
   * The running median of three gradient norms this many times over the top of the normal range
   * is a lasting rise by orders of magnitude: the design's exploding gradients, whatever the loss
   * does. The top of the range (not its centre, and not a single point) is the reference, so the
   * heavy tail of a converged model's gradient norms (0.001 typical, 10 now and then) is normal.
   */
  sustainedFactor: 100,
  /** Three orders of magnitude over the normal top: critical. */
  criticalFactor: 1000,
  /**
   * A shorter burst (one point, or a median) twenty times over where gradients normally sit (the
   * lower quartile of the range) counts only when the loss deteriorates with it: a gradient spike
   * the loss shrugs off is harmless, and common.
   */
  burstFactor: 20,
  /**
   * The loss deteriorates: its running median 20% over its best, and by two of the loss's
   * point-to-point scatters (a median of five scatters about half as much as one point, so this
   * is some four of its own standard deviations; before the loss has a noise estimate, a
   * doubling: see Smoothed.risenClear).
   */
  lossRise: 1.2,
  lossNoise: 2,
  /**
   * ...and giving back a tenth of what training had gained (start to best): near a loss of zero a
   * converged model's loss moves by large factors that undo nothing (0.001 -> 0.02 from 1.7).
   */
  giveBack: 0.1,
  /**
   * Absolute sanity: a global gradient norm whose running median is over 1e4. Healthy networks,
   * large language models at initialisation included, sit between 0.01 and a few hundred; at 1e4
   * any usable learning rate makes updates larger than the weights.
   */
  hugeNorm: 1e4,
  /** Median back under 3x the normal top for ten points: over. */
  clearFactor: 3,
  clearPoints: 10,
} as const;

interface State {
  calm: number;
  report: Reporter;
  peak: number;
}

export const explodingGradients = defineRule<State>({
  kind: 'exploding_gradients',
  init: () => ({ calm: 0, report: new Reporter(), peak: 0 }),
  evaluate(ctx, update, state, facts) {
    const g = facts.view.gradNorm;
    if (g === undefined || !Number.isFinite(g) || g < 0) return undefined;
    // The top of the normal range (see GradRange): outliers and the first points are not in it.
    const top = facts.grad.top;
    const recent = facts.gradLevel;
    const level = recent.level;
    const factor = top > 0 ? level / top : 0;
    const low = facts.grad.low;
    const burst = low > 0 ? Math.max(g, level) / low : 0;
    const loss = facts.loss;
    const rise = loss.level - loss.best;
    const improvement = loss.start - loss.best;
    const lossWorse =
      loss.ready &&
      loss.best > 0 &&
      loss.level >= T.lossRise * loss.best &&
      loss.risenClear(T.lossNoise) &&
      (improvement > 0 ? rise >= T.giveBack * improvement : true);
    // Over three points, so that one wild value (often the very first) is not taken for the level.
    const huge = recent.count >= 3 && level >= T.hugeNorm;
    const exploding = huge || factor >= T.sustainedFactor || (burst >= T.burstFactor && lossWorse);
    if (!exploding) {
      if (!state.report.active) return undefined;
      state.calm = !(level >= T.clearFactor * top) && !huge ? state.calm + 1 : 0;
      return state.calm >= T.clearPoints ? state.report.clear() : undefined;
    }
    state.calm = 0;
    state.peak = Math.max(state.peak, g);
    const worst = factor >= T.sustainedFactor ? factor : burst;
    const severity: Severity = worst >= T.criticalFactor || level >= 100 * T.hugeNorm ? 'critical' : 'warning';
    if (!state.report.due(severity, huge && !(top > 0) ? level : worst)) return undefined;
    const against = factor >= T.sustainedFactor ? `, ${fmt(factor)}x the top of its normal range (${fmt(top)})` : low > 0 ? `, ${fmt(burst)}x where it normally sits (${fmt(low)})` : '';
    const because = huge && !(worst >= T.sustainedFactor) ? `; a norm over ${fmt(T.hugeNorm)} is far beyond what any healthy network shows` : lossWorse && factor < T.sustainedFactor ? ` while ${facts.view.lossName} rose to ${fmt(loss.level)} from its lowest running median ${fmt(loss.best)}` : '';
    return {
      kind: 'exploding_gradients',
      severity,
      message: `The gradient norm reached ${fmt(g)} at ${where(update.step, update.epoch)}${against}${because}: gradients are exploding.`,
      evidence: {
        grad_norm: round(g),
        running_median: round(level),
        normal_top: top > 0 ? round(top) : null,
        normal_low: low > 0 ? round(low) : null,
        factor: top > 0 ? round(worst) : null,
        peak: round(state.peak),
        loss_level: loss.ready ? round(loss.level) : null,
        loss_best: loss.ready ? round(loss.best) : null,
        lr: ctx.lastLr,
      },
      actions: actionsFor('exploding_gradients', ctx, facts),
    };
  },
});
