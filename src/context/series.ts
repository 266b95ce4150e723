import { lowerIsBetter } from '../domain/aliases.ts';
import { Window } from './window.ts';

/** EMA weight of a new point: about the last 10 points dominate, enough to smooth step noise. */
export const EMA_ALPHA = 0.1;

/**
 * One canonical metric of one run: a bounded window of recent points plus running summaries,
 * each updated in constant time per point.
 */
export class Series {
  readonly name: string;
  /** The name as sent that feeds this series (see the alias ranks). */
  source: string;
  rank: number;
  readonly window: Window;
  readonly lowerIsBetter: boolean;
  count = 0;
  nonFinite = 0;
  /** Step and epoch of the first non-finite value, if any. */
  firstNonFiniteStep: number | null = null;
  firstNonFiniteEpoch: number | null = null;
  last = NaN;
  lastStep: number | null = null;
  lastEpoch: number | null = null;
  first = NaN;
  firstStep: number | null = null;
  min = Infinity;
  minStep: number | null = null;
  minEpoch: number | null = null;
  max = -Infinity;
  maxStep: number | null = null;
  maxEpoch: number | null = null;
  ema = NaN;
  /** Set when a better-ranked name took over this canonical metric (see the alias ranks). */
  retired = false;

  constructor(name: string, source: string, rank: number, capacity: number) {
    this.name = name;
    this.source = source;
    this.rank = rank;
    this.window = new Window(capacity);
    this.lowerIsBetter = lowerIsBetter(name);
  }

  /** Best value so far: min for losses, max for accuracies and scores. */
  get best(): number {
    return this.lowerIsBetter ? this.min : this.max;
  }

  get bestStep(): number | null {
    return this.lowerIsBetter ? this.minStep : this.maxStep;
  }

  get bestEpoch(): number | null {
    return this.lowerIsBetter ? this.minEpoch : this.maxEpoch;
  }

  /** Slope per step (or per point index when the run logs no steps) over the window. */
  slope(): number {
    return this.window.slope();
  }

  push(x: number, step: number | null, epoch: number | null, value: number): void {
    this.count++;
    this.last = value;
    this.lastStep = step;
    this.lastEpoch = epoch;
    if (!Number.isFinite(value)) {
      this.nonFinite++;
      if (this.firstNonFiniteStep === null && this.firstNonFiniteEpoch === null) {
        this.firstNonFiniteStep = step;
        this.firstNonFiniteEpoch = epoch;
      }
      return;
    }
    if (Number.isNaN(this.first)) {
      this.first = value;
      this.firstStep = step;
    }
    if (value < this.min) {
      this.min = value;
      this.minStep = step;
      this.minEpoch = epoch;
    }
    if (value > this.max) {
      this.max = value;
      this.maxStep = step;
      this.maxEpoch = epoch;
    }
    this.ema = Number.isNaN(this.ema) ? value : this.ema + EMA_ALPHA * (value - this.ema);
    this.window.push(x, value);
  }

  summary(): SeriesSummary {
    const slope = this.slope();
    return {
      name: this.name,
      source: this.source,
      count: this.count,
      non_finite: this.nonFinite,
      last: this.last,
      last_step: this.lastStep,
      first: this.first,
      min: this.min,
      min_step: this.minStep,
      min_epoch: this.minEpoch,
      max: this.max,
      max_step: this.maxStep,
      max_epoch: this.maxEpoch,
      best: this.best,
      best_step: this.bestStep,
      best_epoch: this.bestEpoch,
      ema: this.ema,
      slope: Number.isNaN(slope) ? null : slope,
      window: this.window.size,
    };
  }
}

export interface SeriesSummary {
  name: string;
  source: string;
  count: number;
  non_finite: number;
  last: number;
  last_step: number | null;
  first: number;
  min: number;
  min_step: number | null;
  min_epoch: number | null;
  max: number;
  max_step: number | null;
  max_epoch: number | null;
  best: number;
  best_step: number | null;
  best_epoch: number | null;
  ema: number;
  slope: number | null;
  window: number;
}
