// One run's step, epoch and time, known from its points: what puts an epoch-level value on a step axis, a finding on a time axis.

/** Samples kept per run: enough to place any point within a pixel, bounded for a page left open. */
const MAX_SAMPLES = 20_000;

/** Sorted `[a, b]` pairs: b at a, the last b when a repeats, interpolated between, extended along the overall slope beyond. */
function lookup(pairs, a) {
  if (!pairs.length || a === null || a === undefined) return null;
  let lo = 0;
  let hi = pairs.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (pairs[mid][0] <= a) lo = mid;
    else hi = mid - 1;
  }
  const [a0, b0] = pairs[lo];
  if (a0 === a) return b0;
  const first = pairs[0];
  const last = pairs[pairs.length - 1];
  const [x0, y0, x1, y1] = a < first[0] || a > last[0] || lo === pairs.length - 1 ? [first[0], first[1], last[0], last[1]] : [a0, b0, pairs[lo + 1][0], pairs[lo + 1][1]];
  if (x1 === x0) return null;
  return y0 + ((a - x0) * (y1 - y0)) / (x1 - x0);
}

function sortedPairs(samples, ka, kb) {
  const pairs = [];
  for (const s of samples) if (s[ka] !== null && s[ka] !== undefined && s[kb] !== null && s[kb] !== undefined) pairs.push([s[ka], s[kb]]);
  // Same a: the larger b last, so an epoch maps to its last step (where epoch-level values are logged).
  return pairs.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
}

export class RunAxis {
  constructor() {
    this.samples = new Map();
    this.t0 = Infinity;
    this.tables = null;
  }

  /** Learns from points `{step, epoch, ts}`. */
  learn(points) {
    for (const p of points) {
      if (p.ts < this.t0) this.t0 = p.ts;
      const key = `${p.step}|${p.epoch}`;
      if (this.samples.has(key)) continue;
      this.samples.set(key, { step: p.step ?? null, epoch: p.epoch ?? null, ts: p.ts });
      this.tables = null;
    }
    if (this.samples.size > MAX_SAMPLES) {
      // Every other sample goes: the mapping keeps its shape at half the resolution.
      let i = 0;
      for (const key of this.samples.keys()) if (i++ % 2) this.samples.delete(key);
    }
  }

  table(name) {
    if (!this.tables) {
      const all = [...this.samples.values()];
      this.tables = {
        epochStep: sortedPairs(all, 'epoch', 'step'),
        stepEpoch: sortedPairs(all, 'step', 'epoch'),
        stepTs: sortedPairs(all, 'step', 'ts'),
        epochTs: sortedPairs(all, 'epoch', 'ts'),
      };
    }
    return this.tables[name];
  }

  /**
   * Where `{step, epoch, ts}` (a point or a finding) sits on the x axis `mode`: 'step', 'epoch',
   * 'relative' (seconds since the run's first point) or 'wall' (seconds since 1970); null when
   * the run never says.
   */
  x(p, mode) {
    const has = (v) => v !== null && v !== undefined;
    if (mode === 'step') return has(p.step) ? p.step : lookup(this.table('epochStep'), p.epoch);
    if (mode === 'epoch') return has(p.epoch) ? p.epoch : lookup(this.table('stepEpoch'), p.step);
    const ts = has(p.ts) ? p.ts : (lookup(this.table('stepTs'), p.step) ?? lookup(this.table('epochTs'), p.epoch));
    if (!has(ts)) return null;
    return mode === 'relative' ? (ts - this.t0) / 1000 : ts / 1000;
  }
}
