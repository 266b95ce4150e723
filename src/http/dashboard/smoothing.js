// Smoothing as TensorBoard does it, so a curve reads the same here as there.

/**
 * An exponential moving average debiased for its zero start (the first points are not pulled
 * toward 0). `weight` 0 leaves the values as they are, 0.99 smooths hard. Non-finite values
 * (and gaps: null, undefined) pass through unchanged and stay out of the average, so a NaN is
 * still seen where it happened and does not poison what follows.
 */
export function smooth(values, weight) {
  if (!(weight > 0)) return values;
  let last = 0;
  let n = 0;
  return values.map((y) => {
    if (typeof y !== 'number' || !Number.isFinite(y)) return y;
    last = last * weight + (1 - weight) * y;
    n++;
    return last / (1 - weight ** n);
  });
}
