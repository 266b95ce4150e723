// oscillation: the loss swings up and down with large amplitude instead of following a trend.
import type { Severity } from '../../domain/findings.ts';
import { defineRule, fmt, Reporter, round, where } from '../rule.ts';
import { actionsFor } from '../advice.ts';

const T = {
  /** Recent points of each loss in which swings are counted. */
  window: 10,
  /**
   * A "large" move between consecutive points: a factor of 1.5 either way, and at least 25% of
   * the loss's scale (its first value, the size of the loss before any learning): a converged
   * loss wobbling by 1.5x around a hundredth of where it started matters to nobody. Healthy
   * curves fall by large moves early on, but do not climb back by them.
   */
  moveFactor: 1.5,
  moveShare: 0.25,
  /**
   * ...or, on a log scale (as people plot losses that span orders of magnitude), half of what
   * training gained from that scale to the lowest value: a loss that fell from 1e8 to 5 and
   * jumps back to 1e6 swings wildly, however small 1e6 is next to 1e8, while a converged loss
   * wobbling 10x around 1e-4 after falling from 2 gives back a quarter of its gain and is noise.
   */
  logGainShare: 0.5,
  /** Swings needed in the window, with both directions present; five are critical. */
  warnMoves: 3,
  criticalMoves: 5,
  /** ...or one rise and one fall each of half the loss's scale (or wide on a log scale)... */
  hugeShare: 0.5,
  /** ...and in every case a second large rise within this many points: three windows. */
  riseMemory: 30,
  /**
   * Once a few moves are known, a large move must also be four times the loss's typical move
   * (the mean absolute log-ratio between points): noisy step-level losses jump by 1.5x routinely.
   */
  knownMoves: 5,
  typicalMultiple: 4,
} as const;

const LOG_MOVE = Math.log(T.moveFactor);
/** A value's distance under the loss's floor that log-scale moves still see (see `Swings.floor`). */
const FLOOR_SHARE = 0.1;
/** The log scale is the loss's own only once it has fallen by an order of magnitude. */
const LOG_DECADE = Math.log(10);

const LOSSES = ['train_loss', 'val_loss'] as const;

/** Large moves of one loss over its last `window` points. */
class Swings {
  private readonly ring = new Int8Array(T.window);
  private n = 0;
  private prev = NaN;
  ups = 0;
  downs = 0;
  hugeUps = 0;
  hugeDowns = 0;
  private readonly huge = new Int8Array(T.window);
  /** Largest factor of a counted swing. */
  amplitude = 1;
  /** The first positive value: the loss's scale. */
  scale = NaN;
  /**
   * The lowest level the loss held: the least median of three consecutive values. A single batch
   * that scored near zero is not a level the loss reached, and on a log scale it would make a
   * move of its own (0.016 to 1e-4 and back is 160x twice) out of nothing.
   */
  private floor = Infinity;
  private readonly recent = new Float64Array(3);
  private positives = 0;
  private typical = 0;
  private seen = 0;
  /** Point indices of the last huge rise and fall (-1: none yet). */
  private lastHugeUp = -1;
  private lastHugeDown = -1;
  /** Point indices of the last two large rises (-1: none yet). */
  private lastRise = -1;
  private previousRise = -1;

  /**
   * `aggregate`: the value is a mean over many batches (a validation evaluation, or an epoch's
   * training loss): averaging has already removed the batch noise the typical-move yardstick is for,
   * so a 1.5x move between two such values is large in itself, however often it happens.
   */
  push(v: number, aggregate: boolean): void {
    if (!Number.isFinite(v)) return;
    let move = 0;
    let big = 0;
    // Ratios of losses that can be zero or negative mean nothing: such points are skipped.
    if (v > 0) this.noteScale(v);
    if (this.prev > 0 && v > 0) {
      // Values far under the floor count as a tenth of it: their moves are measured from there.
      const eps = Number.isFinite(this.floor) ? FLOOR_SHARE * this.floor : 0;
      const d = Math.log((v + eps) / (this.prev + eps));
      const size = Math.abs(d);
      const known = this.seen >= T.knownMoves;
      const typical = this.typical;
      const rawSize = Math.abs(Math.log(v / this.prev));
      this.typical = this.seen === 0 ? rawSize : this.typical + 0.1 * (rawSize - this.typical);
      this.seen++;
      const share = this.scale > 0 ? Math.abs(v - this.prev) / this.scale : Infinity;
      const logGain = this.scale > this.floor ? Math.log(this.scale / this.floor) : 0;
      const logWide = logGain >= LOG_DECADE && size >= T.logGainShare * logGain;
      // Until the loss's typical move is known there is no yardstick for a large one: only a
      // huge move (half the loss's scale) counts, a noisy loss's first scatter does not.
      const matters = share >= T.moveShare || logWide;
      const large = aggregate ? matters : known ? size >= T.typicalMultiple * typical && matters : share >= T.hugeShare || logWide;
      if (size >= LOG_MOVE && large) {
        move = d > 0 ? 1 : -1;
        if (move > 0) {
          this.previousRise = this.lastRise;
          this.lastRise = this.n;
        }
        big = share >= T.hugeShare || logWide ? move : 0;
        if (big > 0) this.lastHugeUp = this.n;
        else if (big < 0) this.lastHugeDown = this.n;
        this.amplitude = Math.max(this.amplitude, Math.exp(size));
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

  private noteScale(v: number): void {
    this.recent[this.positives++ % 3] = v;
    if (this.positives >= 3) {
      const [a, b, c] = this.recent;
      this.floor = Math.min(this.floor, Math.max(Math.min(a, b), Math.min(Math.max(a, b), c)));
    }
    // The first value: the size of the loss before any learning. A loss that then falls by
    // orders of magnitude is judged on the log scale as well, so this scale cannot hide its swings.
    if (!(this.scale > 0)) this.scale = v;
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

  /**
   * Swinging both ways, again and again: enough large moves (or a huge rise and a huge fall) in
   * the window, and a second large rise within the last `riseMemory` points. Falls come with
   * every descent; one rise and the fall back from it is a single spike (a few bad batches, a
   * bad restart) that a run recovers from, not an oscillation.
   */
  get swinging(): boolean {
    const again = this.previousRise >= 0 && this.n - this.previousRise <= T.riseMemory;
    // A huge rise and fall on consecutive points are one point out of line (a spike or a dip, a
    // batch of odd data), not a swing: the excursion must last.
    const hugeSwing = this.hugeUps > 0 && this.hugeDowns > 0 && Math.abs(this.lastHugeUp - this.lastHugeDown) >= 2;
    return this.ups > 0 && this.downs > 0 && again && (this.moves >= T.warnMoves || hugeSwing);
  }
}

interface State {
  swings: Swings[];
  /** Epoch of the training loss's previous value: a value a whole epoch after it is an epoch's mean. */
  trainEpoch: number | null;
  report: Reporter;
}

/**
 * An integer epoch one past the previous value's: one training-loss value per epoch. Values many
 * epochs apart are a batch's loss logged every so many steps (Lightning writes the epoch in
 * progress beside a step-level value), with a batch's scatter.
 */
function epochMean(state: State, epoch: number | null): boolean {
  const prev = state.trainEpoch;
  state.trainEpoch = epoch;
  return epoch !== null && Number.isInteger(epoch) && prev !== null && epoch === prev + 1;
}

export const oscillation = defineRule<State>({
  kind: 'oscillation',
  init: () => ({ swings: LOSSES.map(() => new Swings()), trainEpoch: null, report: new Reporter(1.5) }),
  evaluate(ctx, update, state, facts) {
    let fed = false;
    let worst: Swings | undefined;
    let worstName = '';
    for (let k = 0; k < LOSSES.length; k++) {
      const v = facts.view.get(LOSSES[k]);
      if (v === undefined) continue;
      fed = true;
      const s = state.swings[k];
      s.push(v, k === 0 ? epochMean(state, update.epoch) : true);
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
    // Swings while the gradients explode or the loss turns NaN are part of that blow-up, already
    // reported with the same fix: noted, not a second alarm. A divergence does not explain them:
    // a loss that rose and then swings around its new level is oscillating, and says so.
    const blownUp = facts.raised.has('exploding_gradients') || facts.raised.has('nan_loss');
    const severity: Severity = blownUp ? 'info' : worst.moves >= T.criticalMoves ? 'critical' : 'warning';
    if (!state.report.due(severity, worst.moves)) return undefined;
    return {
      kind: 'oscillation',
      severity,
      message:
        `${worstName} swung up ${worst.ups} and down ${worst.downs} times by 1.5x or more in its last ${T.window} points ` +
        `(largest swing ${fmt(worst.amplitude)}x) up to ${where(update.step, update.epoch)}: the optimiser is overshooting.`,
      evidence: {
        metric: worstName,
        rises: worst.ups,
        falls: worst.downs,
        window: T.window,
        largest_factor: round(worst.amplitude),
        lr: ctx.lastLr,
      },
      actions: actionsFor('oscillation', ctx, facts),
    };
  },
});
