// oscillation: the loss swings up and down with large amplitude instead of following a trend.
import type { Severity } from '../../domain/findings.ts';
import { defineRule, fmt, Reporter, round, where } from '../rule.ts';
import { actionsFor } from '../advice.ts';

const T = {
  /** Recent points of each loss in which swings are counted. */
  window: 10,
  /**
   * A "large" move between consecutive points: at least 25% of the loss's scale (its first value,
   * the size of the loss before any learning) and a factor of 1.5 either way. Healthy curves fall by large moves
   * early on, but do not climb back by them.
   */
  moveShare: 0.25,
  moveFactor: 1.5,
  /** Swings needed in the window, with both directions present. */
  warnMoves: 3,
  criticalMoves: 5,
  /** One rise and one fall each of half the loss's scale are enough on their own. */
  hugeShare: 0.5,
  /**
   * Once a few moves are known, a large move must also be four times the loss's typical move
   * (its mean absolute change between points): noisy step-level losses jump by 1.5x routinely.
   */
  knownMoves: 5,
  typicalMultiple: 4,
} as const;

const LOSSES = ['train_loss', 'val_loss'] as const;

/** Large moves of one loss over its last `window` points. */
class Swings {
  private readonly ring = new Int8Array(T.window);
  private n = 0;
  private prev = NaN;
  scale = 0;
  ups = 0;
  downs = 0;
  hugeUps = 0;
  hugeDowns = 0;
  private readonly huge = new Int8Array(T.window);
  amplitude = 0;
  private typical = 0;
  private seen = 0;

  push(v: number): void {
    if (!Number.isFinite(v)) return;
    if (this.n === 0) this.scale = Math.abs(v);
    let move = 0;
    let big = 0;
    if (!Number.isNaN(this.prev) && this.prev > 0 && v > 0) {
      const d = v - this.prev;
      const factor = d > 0 ? v / this.prev : this.prev / v;
      const typical = this.seen >= T.knownMoves ? this.typical : 0;
      this.typical = this.seen === 0 ? Math.abs(d) : this.typical + 0.1 * (Math.abs(d) - this.typical);
      this.seen++;
      if (Math.abs(d) >= T.moveShare * this.scale && factor >= T.moveFactor && Math.abs(d) >= T.typicalMultiple * typical) {
        move = d > 0 ? 1 : -1;
        big = Math.abs(d) >= T.hugeShare * this.scale ? move : 0;
        this.amplitude = Math.max(this.amplitude, Math.abs(d));
      }
    }
    const i = this.n % T.window;
    if (this.n >= T.window) this.count(this.ring[i], this.huge[i], -1);
    this.ring[i] = move;
    this.huge[i] = big;
    this.count(move, big, 1);
    this.n++;
    this.prev = v;
  }

  private count(move: number, big: number, by: number): void {
    if (move > 0) this.ups += by;
    else if (move < 0) this.downs += by;
    if (big > 0) this.hugeUps += by;
    else if (big < 0) this.hugeDowns += by;
  }

  get moves(): number {
    return this.ups + this.downs;
  }

  /** Swinging both ways: enough large moves, or one huge rise and one huge fall. */
  get swinging(): boolean {
    return this.ups > 0 && this.downs > 0 && (this.moves >= T.warnMoves || (this.hugeUps > 0 && this.hugeDowns > 0));
  }
}

interface State {
  swings: Swings[];
  report: Reporter;
}

export const oscillation = defineRule<State>({
  kind: 'oscillation',
  init: () => ({ swings: LOSSES.map(() => new Swings()), report: new Reporter(1.5) }),
  evaluate(ctx, update, state, facts) {
    let fed = false;
    let worst: Swings | undefined;
    let worstName = '';
    for (let k = 0; k < LOSSES.length; k++) {
      const v = facts.view.get(LOSSES[k]);
      if (v === undefined) continue;
      fed = true;
      const s = state.swings[k];
      s.push(v);
      if (s.swinging && (!worst || s.moves > worst.moves)) {
        worst = s;
        worstName = LOSSES[k];
      }
    }
    if (!fed) return undefined;
    if (!worst) {
      let quiet = true;
      for (const s of state.swings) if (s.moves > 0) quiet = false;
      return quiet ? state.report.clear() : undefined;
    }
    const severity: Severity = worst.moves >= T.criticalMoves ? 'critical' : 'warning';
    if (!state.report.due(severity, worst.moves)) return undefined;
    return {
      kind: 'oscillation',
      severity,
      message:
        `${worstName} swung up ${worst.ups} and down ${worst.downs} times by 1.5x or more in its last ${T.window} points ` +
        `(largest swing ${fmt(worst.amplitude)} on a scale of ${fmt(worst.scale)}) up to ${where(update.step, update.epoch)}: the optimiser is overshooting.`,
      evidence: {
        metric: worstName,
        rises: worst.ups,
        falls: worst.downs,
        window: T.window,
        largest_swing: round(worst.amplitude),
        scale: round(worst.scale),
        lr: ctx.lastLr,
      },
      actions: actionsFor('oscillation', ctx, facts),
    };
  },
});
