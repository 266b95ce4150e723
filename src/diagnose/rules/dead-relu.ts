// dead_relu: a layer's gradient is exactly zero over many points: its units are dead.
import type { Severity } from '../../domain/findings.ts';
import { stuck } from '../view.ts';
import { defineRule, fmt, hadInstability, instabilityRaised, Reporter, where } from '../rule.ts';
import { actionsFor } from '../advice.ts';

const T = {
  /**
   * Logged points in a row with a layer's gradient norm exactly zero. A live layer's gradient is
   * never exactly 0.0 even once; three logged points (each usually many steps) is not chance.
   */
  zeroPoints: 3,
  /** "Stuck": the loss's best smoothed level is within 10% of where it started. */
  stuckShare: 0.1,
  /**
   * A loss whose running median is under 1% of where it started has fitted its data: gradients
   * that small are what a fitted model has, and a log that prints a few decimals shows them as
   * exactly 0 (a norm of 2e-5 printed as 0.0000). Zero layers then say nothing of dead units.
   */
  fittedShare: 0.01,
} as const;

interface State {
  /** The first zero layer that had had a gradient before, in this run of zero points. */
  died: string | null;
  zeroRun: number;
  /** The point last counted in `zeroRun`. */
  zeroPoint: number;
  firstStep: number | null;
  firstEpoch: number | null;
  report: Reporter;
}

export const deadRelu = defineRule<State>({
  kind: 'dead_relu',
  init: () => ({ died: null, zeroRun: 0, zeroPoint: 0, firstStep: null, firstEpoch: null, report: new Reporter() }),
  evaluate(ctx, update, state, facts) {
    const name = facts.view.lossName;
    const scan = facts.view;
    if (scan.layers === 0) return undefined;
    if (scan.zeros === 0) {
      state.zeroRun = 0;
      state.died = null;
      return state.report.clear();
    }
    // Counted once per logged point, however many events its layers came in.
    if (update.point !== state.zeroPoint) {
      state.zeroPoint = update.point;
      if (state.zeroRun++ === 0) {
        state.firstStep = update.step;
        state.firstEpoch = update.epoch;
      }
    }
    if (state.zeroRun < T.zeroPoints) return undefined;
    const loss = facts.loss;
    if (loss.ready && loss.start > 0 && loss.level <= T.fittedShare * loss.start) return undefined;
    const isStuck = loss.ready && stuck(loss, T.stuckShare);
    if (scan.diedLayer !== null) state.died ??= scan.diedLayer;
    // A layer that dies after the loss blew up is a casualty of that instability: a note beside
    // the finding that tells of it. When no finding does (the weights blew up and the loss came
    // back down), the dead layers are the only word on the run, and a warning. A layer at zero
    // from its first point while the loss still improves may just be frozen; one whose gradient
    // flowed and then stopped for good has died, whatever the loss does.
    const after = hadInstability(facts);
    const told = instabilityRaised(facts);
    const severity: Severity = !told && (isStuck || state.died !== null) ? 'warning' : 'info';
    if (!state.report.due(severity, state.zeroRun)) return undefined;
    const cause = told
      ? ' after the earlier instability (the blow-up killed these units)'
      : after
        ? ` after the weights grew to ${fmt(facts.weightGrowth)}x their first norm (huge updates killed these units; the learning rate is likely too high)`
        : isStuck
        ? ` while ${name} stays near ${loss.level.toPrecision(3)}`
        : state.died !== null
          ? ` (${state.died} had a gradient before: it died during training)`
          : ' (if the layer is frozen on purpose, ignore this)';
    return {
      kind: 'dead_relu',
      severity,
      message: `${scan.zeros} of ${scan.layers} logged layers (first: ${scan.zeroLayer}) have had a gradient norm of exactly 0 for ${state.zeroRun} points since ${where(state.firstStep, state.firstEpoch)}${cause}: their ReLU units are dead.`,
      evidence: {
        zero_layers: scan.zeros,
        layers: scan.layers,
        first_zero_layer: scan.zeroLayer,
        points: state.zeroRun,
        since_step: state.firstStep,
        since_epoch: state.firstEpoch,
        loss: loss.ready ? loss.level : null,
        after_instability: after,
        weight_growth: facts.weightGrowth > 1 ? facts.weightGrowth : null,
      },
      actions: actionsFor('dead_relu', ctx, facts),
    };
  },
});
