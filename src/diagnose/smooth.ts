// Constant-cost smoothing of one noisy metric for the rules: a running median, its best and start.

/** Points the running median covers: enough to ignore one or two wild points, short enough to react. */
export const MEDIAN_SPAN = 5;
/** Curvatures after which the slow noise mean starts (from the fast one). */
const SLOW_FROM = 10;
/** Values a metric needs before its noise estimate stands for its scatter (see `risenClear`). */
const NOISE_POINTS = 10;

/** Points whose median is taken as the metric's starting level (a single first point is too noisy). */
export const START_SPAN = 3;

/**
 * Decimal places beyond which values are taken as not rounded for printing: a log rounds to a few
 * places (Keras to 4), a float32 written in full has many more.
 */
const MAX_PLACES = 8;
const POW10 = Array.from({ length: MAX_PLACES + 1 }, (_, k) => 10 ** k);

/** The decimal places a metric's values were printed with, widened as values need more. */
class PrintedDigits {
  /** MAX_PLACES + 1 once a value needed more: not rounded. */
  private places = 0;

  note(v: number): void {
    while (this.places <= MAX_PLACES) {
      const scaled = v * POW10[this.places];
      if (Math.abs(scaled - Math.round(scaled)) <= 1e-6 * Math.max(1, Math.abs(scaled))) return;
      this.places++;
    }
  }

  /** The last printed digit's unit (1e-4 for four decimals); 0 for values written in full. */
  get quantum(): number {
    return this.places > MAX_PLACES ? 0 : 1 / POW10[this.places];
  }
}

/**
 * A metric as a rule sees it: each new finite value updates, in O(1) and without allocation, the
 * median of the last few points (`level`), the lowest level so far (`best`, where it was reached),
 * the starting level and a noise estimate (mean absolute second difference: zero for a straight
 * trend, so a steady rise is not mistaken for noise).
 */
export class Smoothed {
  private readonly ring = new Float64Array(MEDIAN_SPAN);
  private readonly scratch = new Float64Array(MEDIAN_SPAN);
  private readonly linear = new CurvatureNoise();
  /**
   * The same estimate of log values, while every value is positive: a per-batch loss scatters in
   * proportion to its level (0.01 to 0.4 around 0.07), so its linear noise, measured low where the
   * loss was lowest, makes a chance cluster of high batches look like a rise.
   */
  private readonly logarithmic: CurvatureNoise | null;
  private positive = true;
  private readonly span: number;
  /** Finite values seen. */
  count = 0;
  last = NaN;
  /** Median of the last `span` values (fewer at the start). */
  level = NaN;
  /** Median of the first START_SPAN values, fixed once they are in. */
  start = NaN;
  best = Infinity;
  bestCount = 0;
  bestStep: number | null = null;
  bestEpoch: number | null = null;
  /** Lowest raw value and where it was seen (a checkpoint one could have kept). */
  min = Infinity;
  minCount = 0;
  minStep: number | null = null;
  minEpoch: number | null = null;
  noise = 0;
  /** The noise estimate when the best level was last set (NaN while the metric had too few values for one). */
  noiseAtBest = NaN;
  /** The log-space noise when the best level was last set (NaN as `noiseAtBest`, or with a value <= 0). */
  logNoiseAtBest = NaN;
  private readonly digits = new PrintedDigits();

  /** `logScatter`: also measure the scatter of log values, for `risenClearInLog` (a logarithm per point). */
  constructor(span = MEDIAN_SPAN, logScatter = false) {
    this.span = Math.min(span, MEDIAN_SPAN);
    this.logarithmic = logScatter ? new CurvatureNoise() : null;
  }

  /** Takes a finite value; returns false (and ignores it) for a non-finite one. */
  push(v: number, step: number | null, epoch: number | null): boolean {
    if (!Number.isFinite(v)) return false;
    this.digits.note(v);
    this.linear.push(v);
    this.noise = this.linear.noise;
    if (!(v > 0)) this.positive = false;
    else if (this.positive && this.logarithmic) this.logarithmic.push(Math.log(v));
    this.last = v;
    this.ring[this.count % this.span] = v;
    this.count++;
    if (v < this.min) {
      this.min = v;
      this.minCount = this.count;
      this.minStep = step;
      this.minEpoch = epoch;
    }
    this.level = this.median();
    if (this.count === START_SPAN) this.start = this.level;
    if (this.count >= START_SPAN && this.level < this.best) {
      this.best = this.level;
      this.noiseAtBest = this.settledNoise;
      this.logNoiseAtBest = this.count >= NOISE_POINTS && this.positive && this.logarithmic ? this.logarithmic.slow : NaN;
      this.bestCount = this.count;
      this.bestStep = step;
      this.bestEpoch = epoch;
    }
    return true;
  }

  /**
   * Whether the printed values tell `value` to within `share` of it: a loss printed with four
   * decimals (as Keras prints) reads 0.0012 or 0.0013, and a change of a tenth at that level is
   * rounding, not progress or a rise. Values written in full always do.
   */
  resolves(value: number, share: number): boolean {
    return this.quantum <= share * Math.abs(value);
  }

  /** The last printed digit's unit (see PrintedDigits). */
  get quantum(): number {
    return this.digits.quantum;
  }

  /** True once the starting level is known. */
  get ready(): boolean {
    return this.count >= START_SPAN;
  }

  /**
   * The level stands `multiple` scatters above the best. Until the metric has `NOISE_POINTS`
   * values it has no noise estimate of its own (its first points are the steep first descent, or
   * the blow-up being judged), and a doubling of the level over the best stands for it.
   */
  risenClear(multiple: number): boolean {
    if (this.count < NOISE_POINTS) return this.level >= 2 * this.best;
    return this.level - this.best >= multiple * this.noiseSince(this.noiseAtBest);
  }

  /**
   * The level stands `multiple` log-space scatters above the best (a ratio judged against the
   * loss's multiplicative scatter); true when that scatter is unknown or a value was not positive.
   */
  risenClearInLog(multiple: number): boolean {
    if (this.count < NOISE_POINTS || !this.positive || !this.logarithmic || Number.isNaN(this.logNoiseAtBest)) return true;
    return Math.log(this.level / this.best) >= multiple * this.logarithmic.noise;
  }

  /** The noise estimate once it stands for the metric's scatter (NOISE_POINTS values), else NaN. */
  get settledNoise(): number {
    return this.count >= NOISE_POINTS ? this.noise : NaN;
  }

  /**
   * The scatter to judge a rise from a mark against: the noise the metric had at the mark, when
   * known (`settledNoise` then), and never more than now. A rise's own jumps are curvature that
   * would otherwise count as noise and hide the very rise being judged.
   */
  noiseSince(atMark: number): number {
    return Number.isNaN(atMark) ? this.noise : Math.min(this.noise, atMark);
  }

  /** Points since the best level was last improved. */
  get sinceBest(): number {
    return this.count - this.bestCount;
  }

  private median(): number {
    return medianOf(this.ring, Math.min(this.count, this.span), this.scratch);
  }
}

/**
 * Exponential mean of the curvature |v - 2 prev + prev2| / 2: about the noise's standard deviation
 * for scattered points and zero along a straight trend. The first two curvatures, in the steep
 * bend of a run's first descent, are not noise and are skipped. Each curvature is capped at four
 * times the current estimate (a winsorised mean), so that a blow-up being judged does not inflate
 * the very noise it is judged against. Two speeds, and the larger is the estimate: the fast mean
 * (about ten points) follows a change of scatter, the slow one (about fifty) keeps one calm
 * stretch from passing for the curve's noise; a lower estimate would let chance look like a
 * trend. The slow one starts from the fast one once the first descent's bend is past
 * (`SLOW_FROM` curvatures), so that it does not carry that bend for fifty points.
 */
class CurvatureNoise {
  private count = 0;
  private prev = NaN;
  private prev2 = NaN;
  private curvatures = 0;
  private fast = 0;
  /** The slow mean alone: a scatter that one calm or one wild stretch moves little. */
  slow = 0;
  noise = 0;

  push(v: number): void {
    if (this.count++ >= 2) {
      const raw = Math.abs(v - 2 * this.prev + this.prev2) / 2;
      this.curvatures++;
      if (this.curvatures === 3) this.fast = raw;
      else if (this.curvatures > 3) {
        const c = this.fast > 0 ? Math.min(raw, 4 * this.fast) : raw;
        this.fast += 0.1 * (c - this.fast);
        if (this.curvatures === SLOW_FROM) this.slow = this.fast;
        else if (this.curvatures > SLOW_FROM) this.slow += 0.02 * (c - this.slow);
      }
      this.noise = Math.max(this.fast, this.slow);
    }
    this.prev2 = this.prev;
    this.prev = v;
  }
}

/** Median of the first n values of `values`, sorted in `scratch` (no allocation). */
function medianOf(values: Float64Array, n: number, scratch: Float64Array): number {
  for (let i = 0; i < n; i++) {
    const v = values[i];
    let j = i;
    while (j > 0 && scratch[j - 1] > v) {
      scratch[j] = scratch[j - 1];
      j--;
    }
    scratch[j] = v;
  }
  return n % 2 ? scratch[(n - 1) >> 1] : (scratch[n / 2 - 1] + scratch[n / 2]) / 2;
}

/** Least-squares trend of the points pushed since the last reset, in O(1) per point. */
export class Trend {
  private n = 0;
  private sx = 0;
  private sy = 0;
  private sxx = 0;
  private sxy = 0;
  private syy = 0;

  reset(): void {
    this.n = this.sx = this.sy = this.sxx = this.sxy = this.syy = 0;
  }

  push(y: number): void {
    const x = this.n++;
    this.sx += x;
    this.sy += y;
    this.sxx += x * x;
    this.sxy += x * y;
    this.syy += y * y;
  }

  get count(): number {
    return this.n;
  }

  /** Mean of the points since the last reset. */
  get mean(): number {
    return this.n ? this.sy / this.n : NaN;
  }

  /** Change across the points, fitted, over their mean (-0.1: fell 10%); null under three points. */
  get relative(): number | null {
    const n = this.n;
    const den = n * this.sxx - this.sx * this.sx;
    const mean = this.sy / n;
    if (n < 3 || den <= 0 || !(Math.abs(mean) > 0)) return null;
    return (((n * this.sxy - this.sx * this.sy) / den) * (n - 1)) / Math.abs(mean);
  }

  /**
   * Standard error of `relative`, from the scatter of the points around the fitted line; null
   * under four points. Over a short noisy stretch a flat fitted line proves little: the true
   * trend may be steep within two of these.
   */
  get relativeError(): number | null {
    const n = this.n;
    const den = n * this.sxx - this.sx * this.sx;
    const mean = this.sy / n;
    if (n < 4 || den <= 0 || !(Math.abs(mean) > 0)) return null;
    const sxxc = den / n;
    const sxyc = this.sxy - (this.sx * this.sy) / n;
    const syyc = this.syy - (this.sy * this.sy) / n;
    const residual = Math.max(0, syyc - (sxyc * sxyc) / sxxc) / (n - 2);
    return (Math.sqrt(residual / sxxc) * (n - 1)) / Math.abs(mean);
  }
}

/**
 * Quantiles of the last `capacity` values pushed, for baselines that one lucky or unlucky point
 * cannot move: sorted lazily, at most once every `every` pushes, so a point costs O(1) amortised
 * (a sort of 64 values every 8 points).
 */
export class RecentQuantiles {
  private readonly ring: Float64Array;
  private readonly sorted: Float64Array;
  private n = 0;
  private stale = 0;
  private sortedSize = 0;

  constructor(
    capacity = 64,
    private readonly every = 8,
  ) {
    this.ring = new Float64Array(capacity);
    this.sorted = new Float64Array(capacity);
  }

  get count(): number {
    return Math.min(this.n, this.ring.length);
  }

  push(v: number): void {
    this.ring[this.n % this.ring.length] = v;
    this.n++;
    this.stale++;
  }

  /**
   * Sorts the values kept if they changed enough since the last sort; returns whether it did, so
   * that quantiles read from the last sort can be kept until the next one.
   */
  refresh(): boolean {
    const size = this.count;
    if (size === 0 || (this.sortedSize === size && this.stale < this.every)) return false;
    const view = this.sorted.subarray(0, size);
    view.set(this.ring.subarray(0, size));
    view.sort();
    this.sortedSize = size;
    this.stale = 0;
    return true;
  }

  /** The p-quantile (0..1) of the values kept, NaN when there are none. */
  quantile(p: number): number {
    this.refresh();
    if (this.sortedSize === 0) return NaN;
    return this.sorted[Math.min(this.sortedSize - 1, Math.floor(p * this.sortedSize))];
  }
}
