// The normal range of a run's global gradient norm, shared by the rules and the advice.
import { RecentQuantiles } from './smooth.ts';

const T = {
  /**
   * Points before the range is trusted: three, whose median already ignores one wild first value
   * (at initialisation gradients can be far larger than anything later: a first 1e17 must not
   * set the scale of what follows). Short runs (ten logged points) can explode by their fifth.
   */
  minPoints: 3,
  /** Points from which the top is the 90th percentile of recent normal norms (before: their median). */
  fullPoints: 8,
  topQuantile: 0.9,
  /**
   * A value this many times over the lower quartile is an outlier and is kept out of the range:
   * the range then stays what normal was while gradients explode, instead of following them.
   */
  outlier: 20,
} as const;

export class GradRange {
  /** The last 64 normal norms, re-sorted every 32: a reference that moves slowly anyway. */
  private readonly normal = new RecentQuantiles(64, 32);
  /** The top of the normal range; NaN until enough points are in. */
  top = NaN;
  /**
   * Its lower quartile: where gradients sit when nothing happens. Growth "by orders of magnitude"
   * is measured from here, since the top of a short run's range may already hold the growth.
   */
  low = NaN;

  push(g: number): void {
    if (!Number.isFinite(g) || g < 0) return;
    // Outliers are judged against the lower quartile: the top (and even the median) of the range
    // would follow a norm that explodes steadily, a few times per point, into the range itself.
    if (this.low > 0 && g > T.outlier * this.low) return;
    this.normal.push(g);
    const n = this.normal.count;
    // The top of the range: the 90th percentile, so a heavy tail of spikes is normal; with few
    // points the median, which one wild value cannot move.
    // The range moves only when the kept norms are sorted again (every 32 once it is full).
    if (n < T.minPoints || !this.normal.refresh()) return;
    this.top = this.normal.quantile(n >= T.fullPoints ? T.topQuantile : 0.5);
    this.low = this.normal.quantile(0.25);
  }
}
