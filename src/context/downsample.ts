/**
 * Largest-Triangle-Three-Buckets (Steinarsson, 2013, https://skemman.is/handle/1946/15343):
 * keeps the first and last points and, per bucket, the point that forms the largest triangle
 * with its neighbours, so spikes and turns survive where averaging would flatten them.
 */
export function lttb<T>(points: readonly T[], threshold: number, x: (p: T) => number, y: (p: T) => number): T[] {
  const n = points.length;
  if (threshold >= n) return points.slice();
  if (threshold < 3) return threshold === 2 ? [points[0], points[n - 1]] : points.slice(0, threshold);
  const out: T[] = [points[0]];
  const every = (n - 2) / (threshold - 2);
  let a = 0;
  for (let i = 0; i < threshold - 2; i++) {
    const nextStart = Math.floor((i + 1) * every) + 1;
    const nextEnd = Math.min(Math.floor((i + 2) * every) + 1, n);
    let avgX = 0;
    let avgY = 0;
    let count = 0;
    for (let j = nextStart; j < nextEnd; j++) {
      const yj = y(points[j]);
      if (!Number.isFinite(yj)) continue;
      avgX += x(points[j]);
      avgY += yj;
      count++;
    }
    if (count) {
      avgX /= count;
      avgY /= count;
    }
    const start = Math.floor(i * every) + 1;
    const end = Math.floor((i + 1) * every) + 1;
    const ax = x(points[a]);
    const ay = y(points[a]);
    let best = start;
    let bestArea = -1;
    for (let j = start; j < end; j++) {
      const yj = y(points[j]);
      // A non-finite value is the most important point of its bucket: keep it visible.
      const area = Number.isFinite(yj) ? Math.abs((ax - avgX) * (yj - ay) - (ax - x(points[j])) * (avgY - ay)) : Infinity;
      if (area > bestArea) {
        bestArea = area;
        best = j;
      }
    }
    out.push(points[best]);
    a = best;
  }
  out.push(points[n - 1]);
  return out;
}
