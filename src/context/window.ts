/**
 * A fixed-capacity ring buffer of (x, y) points with running sums, so that mean and
 * least-squares slope over the window cost O(1) per new point whatever the run's length.
 * Sums are re-based on the oldest x to keep x*x small and the float error bounded.
 */
export class Window {
  readonly capacity: number;
  private readonly xs: Float64Array;
  private readonly ys: Float64Array;
  private start = 0;
  private length = 0;
  private sx = 0;
  private sy = 0;
  private sxx = 0;
  private sxy = 0;
  private syy = 0;
  private origin = 0;
  private pushes = 0;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 2) throw new RangeError('window capacity must be an integer >= 2');
    this.capacity = capacity;
    this.xs = new Float64Array(capacity);
    this.ys = new Float64Array(capacity);
  }

  get size(): number {
    return this.length;
  }

  push(x: number, y: number): void {
    if (this.length === this.capacity) {
      this.remove(this.xs[this.start], this.ys[this.start]);
      this.start = (this.start + 1) % this.capacity;
      this.length--;
    }
    if (this.length === 0) this.origin = x;
    const i = (this.start + this.length) % this.capacity;
    this.xs[i] = x;
    this.ys[i] = y;
    this.length++;
    const dx = x - this.origin;
    this.sx += dx;
    this.sy += y;
    this.sxx += dx * dx;
    this.sxy += dx * y;
    this.syy += y * y;
    // Running sums drift after millions of add/remove pairs; recompute now and then (amortised O(1)).
    if (++this.pushes % (this.capacity * 64) === 0) this.resum();
  }

  private remove(x: number, y: number): void {
    const dx = x - this.origin;
    this.sx -= dx;
    this.sy -= y;
    this.sxx -= dx * dx;
    this.sxy -= dx * y;
    this.syy -= y * y;
  }

  private resum(): void {
    this.origin = this.length ? this.xs[this.start] : 0;
    this.sx = this.sy = this.sxx = this.sxy = this.syy = 0;
    for (let k = 0; k < this.length; k++) {
      const i = (this.start + k) % this.capacity;
      const dx = this.xs[i] - this.origin;
      this.sx += dx;
      this.sy += this.ys[i];
      this.sxx += dx * dx;
      this.sxy += dx * this.ys[i];
      this.syy += this.ys[i] * this.ys[i];
    }
  }

  /** k-th point from the oldest (0) to the newest (size - 1). */
  x(k: number): number {
    return this.xs[(this.start + k) % this.capacity];
  }

  y(k: number): number {
    return this.ys[(this.start + k) % this.capacity];
  }

  /** k-th point counting back from the newest (0 = newest). */
  back(k: number): number {
    return this.ys[(this.start + this.length - 1 - k) % this.capacity];
  }

  mean(): number {
    return this.length ? this.sy / this.length : NaN;
  }

  std(): number {
    if (this.length < 2) return 0;
    const m = this.sy / this.length;
    return Math.sqrt(Math.max(0, this.syy / this.length - m * m));
  }

  /** Least-squares slope of y over x; NaN with fewer than two distinct x. */
  slope(): number {
    const n = this.length;
    const den = n * this.sxx - this.sx * this.sx;
    if (n < 2 || den <= 0) return NaN;
    return (n * this.sxy - this.sx * this.sy) / den;
  }

  /** The points oldest first, for views and prompts (O(n), not for hot paths). */
  points(): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    for (let k = 0; k < this.length; k++) out.push([this.x(k), this.y(k)]);
    return out;
  }
}
