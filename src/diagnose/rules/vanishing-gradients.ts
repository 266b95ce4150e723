// vanishing_gradients: gradients of early layers (or globally) vanishingly small while the loss is stuck.
import type { Severity } from '../../domain/findings.ts';
import { stuck } from '../view.ts';
import { defineRule, fmt, hadInstability, Reporter, round, where } from '../rule.ts';
import { actionsFor } from '../advice.ts';

const T = {
  /**
   * Smallest over largest non-zero layer gradient norm. Healthy nets keep layers within about one
   * order of magnitude of each other (0.1..1); saturated sigmoid / tanh stacks show 1e-5..1e-10.
   * Three orders of magnitude leaves a wide margin on both sides.
   */
  layerSpread: 1e-3,
  /** Six orders of magnitude: nothing reaches the early layers at all. */
  criticalSpread: 1e-6,
  /** Global gradient norm fallen by four orders of magnitude from its start, when no layers are logged. */
  globalDrop: 1e-4,
  /** "Stuck": the loss's best smoothed level is within 10% of where it started. */
  stuckShare: 0.1,
  /** Gradient conditions back above ten times the threshold: cleared. */
  clearFactor: 10,
} as const;

interface State {
  report: Reporter;
}

export const vanishingGradients = defineRule<State>({
  kind: 'vanishing_gradients',
  init: () => ({ report: new Reporter(10) }),
  evaluate(ctx, update, state, facts) {
    const scan = facts.view;
    const name = scan.lossName;
    const g = scan.gradNorm;
    const grad = facts.gradLevel;
    const hasLayers = scan.layers > 0;
    if (!hasLayers && g === undefined) return undefined;
    const loss = facts.loss;
    if (!loss.ready) return undefined;
    const isStuck = stuck(loss, T.stuckShare);
    // With per-layer norms, judge their spread; without, the global norm against its own start.
    const spread = hasLayers ? scan.spread : grad.ready ? grad.level / grad.start : 1;
    const threshold = hasLayers ? T.layerSpread : T.globalDrop;
    if (!isStuck || spread >= threshold) {
      return !isStuck || spread >= threshold * T.clearFactor ? state.report.clear() : undefined;
    }
    // After a blow-up, saturated units and vanished gradients are its consequence, not a second
    // problem with another fix: noted, not alarmed.
    const severity: Severity = hadInstability(facts) ? 'info' : hasLayers && spread < T.criticalSpread ? 'critical' : 'warning';
    if (!state.report.due(severity, 1 / spread)) return undefined;
    const what = hasLayers
      ? `${scan.lowLayer} gets a gradient norm of ${fmt(scan.low)}, ${fmt(spread)} times that of ${scan.highLayer} (${fmt(scan.high)})`
      : `the gradient norm fell to ${fmt(grad.level)}, ${fmt(spread)} times its start of ${fmt(grad.start)}`;
    return {
      kind: 'vanishing_gradients',
      severity,
      message: `At ${where(update.step, update.epoch)} ${what}, while ${name} is stuck near ${fmt(loss.level)} (it started at ${fmt(loss.start)}): gradients vanish before they reach the early layers.`,
      evidence: {
        spread: round(spread),
        low_layer: hasLayers ? scan.lowLayer : null,
        low: hasLayers ? round(scan.low) : null,
        high_layer: hasLayers ? scan.highLayer : null,
        high: hasLayers ? round(scan.high) : null,
        grad_norm: g === undefined ? null : round(g),
        loss: round(loss.level),
        loss_start: round(loss.start),
      },
      actions: actionsFor('vanishing_gradients', ctx, facts),
    };
  },
});
