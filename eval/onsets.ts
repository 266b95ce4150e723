// Independent, deliberately simple criteria for when each condition first measurably holds in a run.
import { canonicalOf, normaliseValue } from '../src/domain/aliases.ts';
import type { EventInput } from '../src/domain/events.ts';
import type { FindingKind } from '../src/domain/findings.ts';

/** One metrics update of a run, in the order the diagnoser sees them, in canonical names. */
export interface Point {
  index: number;
  values: Record<string, number>;
}

/**
 * The run's metrics updates with canonical names (the alias table only, none of the rules'
 * state). A quantity logged under several names (per step and per epoch) is read from the name
 * with the most points in the whole run, best rank first on a tie, never mixed.
 */
export function pointsOf(events: readonly EventInput[]): Point[] {
  const chosen = new Map<string, { name: string; count: number; rank: number }>();
  const counts = new Map<string, number>();
  for (const e of events) if (e.type === 'metrics') for (const name in e.values) counts.set(name, (counts.get(name) ?? 0) + 1);
  for (const [name, count] of counts) {
    const alias = canonicalOf(name);
    if (!alias) continue;
    const best = chosen.get(alias.canonical);
    if (!best || count > best.count || (count === best.count && alias.rank < best.rank)) chosen.set(alias.canonical, { name, count, rank: alias.rank });
  }
  const source = new Map([...chosen].map(([canonical, c]) => [c.name, canonical]));
  const out: Point[] = [];
  for (const e of events) {
    if (e.type !== 'metrics') continue;
    const values: Record<string, number> = {};
    for (const [name, v] of Object.entries(e.values)) {
      const canonical = source.get(name) ?? (canonicalOf(name)?.canonical.startsWith('grad_norm/') ? canonicalOf(name)!.canonical : undefined);
      if (canonical) values[canonical] = normaliseValue(canonical, v);
    }
    out.push({ index: out.length, values });
  }
  return out;
}

function trainLoss(p: Point): number | undefined {
  return p.values.train_loss;
}

function layerNorms(p: Point): number[] {
  return Object.entries(p.values)
    .filter(([k, v]) => k.startsWith('grad_norm/') && Number.isFinite(v))
    .map(([, v]) => v);
}

/** First point at which `holds` is true, given the points so far; undefined if never. */
function first(points: Point[], holds: (p: Point, i: number) => boolean): number | undefined {
  for (let i = 0; i < points.length; i++) if (holds(points[i], i)) return points[i].index;
  return undefined;
}

/**
 * Where each kind's condition first measurably holds, by criteria written independently of the
 * rules (raw values, no smoothing state shared with them):
 * - nan_loss: the first non-finite loss or gradient norm;
 * - divergence: three training-loss points in a row over 3x the lowest training loss so far;
 * - exploding_gradients: the gradient norm over 20x the median of the ten gradient norms before it
 *   while the training loss is over 1.5x its lowest so far, or three norms in a row over 100x it;
 * - oscillation: a training or validation loss that has both risen and fallen by 1.5x or more
 *   between consecutive points within its last ten points, with at least three such moves or
 *   with one rise and one fall each larger than half of that loss's first value;
 * - vanishing_gradients: the third point whose smallest layer norm is under 1/1000 of its largest
 *   while no training loss has yet gone 10% under the first one;
 * - dead_relu: the third point in a row with some layer's gradient norm exactly 0;
 * - lr_too_low: the fifth training-loss point with no loss 5% under the first;
 * - overfitting: the third validation point in a row at 1.25x or more of the lowest validation
 *   loss so far, with the training loss below what it was at that lowest point.
 */
export function onsetOf(kind: FindingKind, points: Point[]): number | undefined {
  switch (kind) {
    case 'nan_loss':
      return first(points, (p) =>
        ['train_loss', 'val_loss', 'grad_norm'].some((k) => p.values[k] !== undefined && !Number.isFinite(p.values[k])),
      );
    case 'divergence': {
      let min = Infinity;
      let run = 0;
      return first(points, (p) => {
        const l = trainLoss(p);
        if (l === undefined || !Number.isFinite(l)) return false;
        run = l > 3 * min ? run + 1 : 0;
        min = Math.min(min, l);
        return run >= 3;
      });
    }
    case 'exploding_gradients': {
      const seen: number[] = [];
      let minLoss = Infinity;
      let high = 0;
      return first(points, (p) => {
        const l = trainLoss(p);
        if (l !== undefined && Number.isFinite(l)) minLoss = Math.min(minLoss, l);
        const g = p.values.grad_norm;
        if (g === undefined || !Number.isFinite(g)) return false;
        const recent = seen.slice(-10).sort((a, b) => a - b);
        const median = recent[Math.floor(recent.length / 2)];
        seen.push(g);
        if (recent.length < 3) return false;
        high = g > 100 * median ? high + 1 : 0;
        const lossWorse = l !== undefined && Number.isFinite(l) && l > 1.5 * minLoss;
        return (g > 20 * median && lossWorse) || high >= 3;
      });
    }
    case 'oscillation': {
      const moves: Record<string, number[]> = {};
      const last: Record<string, number> = {};
      const firstValue: Record<string, number> = {};
      return first(points, (p) => {
        let holds = false;
        for (const name of ['train_loss', 'val_loss']) {
          const v = p.values[name];
          if (v === undefined || !Number.isFinite(v)) continue;
          const m = (moves[name] ??= []);
          const prev = last[name];
          firstValue[name] ??= v;
          // A move of 1.5x either way; 2 marks one larger than half the loss's first value.
          const big = prev !== undefined && Math.abs(v - prev) >= 0.5 * firstValue[name] ? 2 : 1;
          m.push(prev === undefined ? 0 : v >= 1.5 * prev ? big : prev >= 1.5 * v ? -big : 0);
          if (m.length > 10) m.shift();
          last[name] = v;
          const ups = m.filter((x) => x > 0).length;
          const downs = m.filter((x) => x < 0).length;
          const hugeBoth = m.includes(2) && m.includes(-2);
          if (ups > 0 && downs > 0 && (ups + downs >= 3 || hugeBoth)) holds = true;
        }
        return holds;
      });
    }
    case 'vanishing_gradients': {
      let firstLoss: number | undefined;
      let learned = false;
      let count = 0;
      return first(points, (p) => {
        const l = trainLoss(p);
        if (l !== undefined && Number.isFinite(l)) {
          firstLoss ??= l;
          if (l < 0.9 * firstLoss) learned = true;
        }
        const norms = layerNorms(p).filter((v) => v > 0);
        if (norms.length < 2 || learned) return false;
        if (Math.min(...norms) < 1e-3 * Math.max(...norms)) count++;
        return count >= 3;
      });
    }
    case 'dead_relu': {
      let run = 0;
      return first(points, (p) => {
        const norms = layerNorms(p);
        if (!norms.length) return false;
        run = norms.includes(0) ? run + 1 : 0;
        return run >= 3;
      });
    }
    case 'lr_too_low': {
      let firstLoss: number | undefined;
      let n = 0;
      let learned = false;
      return first(points, (p) => {
        const l = trainLoss(p);
        if (l === undefined || !Number.isFinite(l)) return false;
        firstLoss ??= l;
        n++;
        if (l < 0.95 * firstLoss) learned = true;
        return !learned && n >= 5;
      });
    }
    case 'overfitting': {
      let min = Infinity;
      let trainAtMin = Infinity;
      let train = Infinity;
      let run = 0;
      return first(points, (p) => {
        const t = trainLoss(p);
        if (t !== undefined && Number.isFinite(t)) train = t;
        const v = p.values.val_loss;
        if (v === undefined || !Number.isFinite(v)) return false;
        run = v >= 1.25 * min && train < trainAtMin ? run + 1 : 0;
        if (v < min) {
          min = v;
          trainAtMin = train;
        }
        return run >= 3;
      });
    }
    default:
      return undefined;
  }
}
