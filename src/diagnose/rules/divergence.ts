// divergence: the loss grew by a large factor over its best (smoothed) value.
import type { Severity } from '../../domain/findings.ts';
import { defineRule, fmt, Reporter, round, where } from '../rule.ts';
import { actionsFor } from '../advice.ts';

const T = {
  /**
   * Smoothed loss over its best smoothed value that is divergence: a running median of five
   * already ignores single spikes, so a 3x rise of the median is a trend no healthy run shows.
   */
  warnRatio: 3,
  /** An order of magnitude over the best: training has blown up. */
  criticalRatio: 10,
  /** Climbing back 50% above where training started (and 1.5x over its best) is divergence too. */
  overStart: 1.5,
  overStartRatio: 1.5,
  /**
   * Every rise must also give back at least 30% of the improvement made since the start: near a
   * loss of zero, step-level noise easily triples a tiny value (0.002 -> 0.006) without meaning
   * anything, while a real divergence undoes much of what training achieved.
   */
  giveBack: 0.3,
  /**
   * Every rise must also stand five of the loss's scatters above its best: the best of a running
   * median over a long, noisy step-level curve is a lucky low (about 1.3 scatters under the mean)
   * that the median rises well above by chance; a real drift of a smooth curve is tens of
   * scatters (before the loss has a noise estimate, a doubling: see Smoothed.risenClear).
   */
  sustainedNoise: 5,
  /**
   * ...and, for a positive loss, this many of its log-space scatters: a per-batch loss scatters in
   * proportion to its level, and a cluster of three high batches out of five lifts the median by
   * a few of those scatters without any trend.
   */
  logNoise: 2,
  /** A slower, lasting rise: the median 25% over its best (and the rest above) for five points in a row. */
  sustainedRatio: 1.25,
  sustainedPoints: 5,
  /**
   * Points after the logged learning rate last rose (warm-up, a warm restart, a manual jump) during
   * which only a critical rise counts: a larger step size makes the loss react, and a healthy run
   * settles within a few evaluations; a rise still there after them is divergence all the same.
   */
  lrGrace: 10,
  /** A rise of the logged lr by more than 1% counts (schedules move it by far more). */
  lrRise: 1.01,
  /**
   * A single raw point this many times over both the best level and the start is a blow-up
   * whatever the running median says: a loss of 1e18 on the last logged point must be reported.
   */
  blowUp: 1e4,
  /** Back within 1.5x of the best and below the start for ten points in a row: recovered. */
  clearRatio: 1.5,
  clearPoints: 10,
} as const;

interface State {
  sinceLrRise: number;
  sustained: number;
  calm: number;
  report: Reporter;
}

export const divergence = defineRule<State>({
  kind: 'divergence',
  init: () => ({ sinceLrRise: Infinity, sustained: 0, calm: 0, report: new Reporter() }),
  evaluate(ctx, update, state, facts) {
    if (facts.lrRatio > T.lrRise) state.sinceLrRise = 0;
    const name = facts.view.lossName;
    if (!name || !facts.lossFed) return undefined;
    state.sinceLrRise++;
    const s = facts.loss;
    // Ratios of losses that can be zero or negative (ELBOs, GAN losses) mean nothing.
    if (!s.ready || !(s.best > 0) || !(s.start > 0)) return undefined;
    // A best printed as a few units of its last digit (0.0002) may be up to one unit more: the
    // ratio is taken to that, so rounding alone makes no rise.
    const ratio = s.level / (s.best + s.quantum);
    const improvement = s.start - s.best;
    // A loss that never improved has nothing to give back: the ratios alone decide.
    const gaveBack = improvement > 0 ? (s.level - s.best) / improvement >= T.giveBack : true;
    const clearOfNoise = s.risenClear(T.sustainedNoise) && s.risenClearInLog(T.logNoise);
    state.sustained = gaveBack && clearOfNoise && ratio >= T.sustainedRatio ? state.sustained + 1 : 0;
    let severity: Severity | undefined;
    const blownUp = s.last >= T.blowUp * Math.max(s.best, s.start);
    // Every path needs the rise clear of the loss's own scatter: the best running median of a
    // noisy per-batch loss is a lucky low (0.08 against a typical 0.9), not a level to return to.
    if ((gaveBack && clearOfNoise && ratio >= T.criticalRatio) || blownUp) severity = 'critical';
    else if (
      // A schedule's bump never takes a loss back well above where training started: past that,
      // a rise counts during the grace too.
      (state.sinceLrRise > T.lrGrace || s.level >= T.overStart * s.start) &&
      gaveBack &&
      clearOfNoise &&
      (ratio >= T.warnRatio || (s.level >= T.overStart * s.start && ratio >= T.overStartRatio) || state.sustained >= T.sustainedPoints)
    )
      severity = 'warning';
    if (!severity) {
      state.calm = ratio < T.clearRatio && s.level <= s.start ? state.calm + 1 : 0;
      return state.calm >= T.clearPoints ? state.report.clear() : undefined;
    }
    state.calm = 0;
    if (!state.report.due(severity, ratio)) return undefined;
    return {
      kind: 'divergence',
      severity,
      message:
        (blownUp && ratio < T.criticalRatio ? `${name} jumped to ${fmt(s.last)} at ${where(update.step, update.epoch)} (running median ${fmt(s.level)}), ` : `${name} rose to ${fmt(s.level)} (running median) at ${where(update.step, update.epoch)}, `) +
        `${fmt(ratio)}x its lowest running median, ${fmt(s.best)} at ${where(s.bestStep, s.bestEpoch)} (it started at ${fmt(s.start)}): training is diverging.`,
      evidence: {
        metric: name,
        level: round(s.level),
        best: round(s.best),
        best_step: s.bestStep,
        best_epoch: s.bestEpoch,
        start: round(s.start),
        ratio: round(ratio),
        last: round(s.last),
        lr: ctx.lastLr,
      },
      actions: actionsFor('divergence', ctx, facts, { bestAt: where(s.bestStep, s.bestEpoch), metric: name }),
    };
  },
});
