// nan_loss: a loss or the gradient norm became NaN or infinite.
import type { Detection } from '../../domain/findings.ts';
import { defineRule, fmt, Reporter, where } from '../rule.ts';
import { actionsFor } from '../advice.ts';

const T = {
  /**
   * Finite loss points in a row after which a NaN episode counts as over: AMP loss scaling skips a
   * few overflowed steps and recovers by itself; twenty clean points mean training really did.
   */
  recoveredAfter: 20,
} as const;

/** Watched in this order; the first non-finite one names the finding. */
const WATCHED = ['train_loss', 'val_loss', 'grad_norm'] as const;

interface State {
  report: Reporter;
  finiteRun: number;
  /** Last finite value of each watched metric, NaN before one is seen. */
  lastFinite: Float64Array;
  nonFinite: number;
}

export const nanLoss = defineRule<State>({
  kind: 'nan_loss',
  init: () => ({ report: new Reporter(Infinity), finiteRun: 0, lastFinite: new Float64Array(WATCHED.length).fill(NaN), nonFinite: 0 }),
  evaluate(ctx, update, state, facts) {
    let bad = -1;
    let value = 0;
    let seen = false;
    for (let k = 0; k < WATCHED.length; k++) {
      const v = facts.view.get(WATCHED[k]);
      if (v === undefined) continue;
      seen = true;
      if (Number.isFinite(v)) state.lastFinite[k] = v;
      else if (bad < 0) {
        bad = k;
        value = v;
      }
    }
    // Losses the rules read under no name of theirs (a GAN's two, a detector's parts) count too:
    // a NaN in any part of the objective is a NaN loss.
    const other = update.nonFiniteLoss;
    if (!seen && update.otherLosses === 0) return undefined;
    if (bad < 0 && other === null) {
      if (++state.finiteRun >= T.recoveredAfter) return state.report.clear();
      return undefined;
    }
    state.finiteRun = 0;
    state.nonFinite++;
    if (!state.report.due('critical', 1)) return undefined;
    const name = bad >= 0 ? WATCHED[bad] : other!;
    if (bad < 0) value = ctx.latest.get(name)?.value ?? NaN;
    const last = bad >= 0 ? state.lastFinite[bad] : NaN;
    const before = Number.isNaN(last) ? undefined : last;
    const shown = Number.isNaN(value) ? 'NaN' : fmt(value);
    const d: Detection = {
      kind: 'nan_loss',
      severity: 'critical',
      message:
        `${name} became ${shown} at ${where(update.step, update.epoch)}` +
        (before !== undefined ? ` (last finite value ${fmt(before)})` : bad >= 0 ? ', with no finite value before it' : '') +
        '; the weights are likely corrupted from here on.',
      evidence: {
        metric: name,
        value: shown,
        last_finite: before ?? null,
        step: update.step,
        epoch: update.epoch,
        lr: ctx.lastLr,
      },
      actions: actionsFor('nan_loss', ctx, facts),
    };
    return d;
  },
});
