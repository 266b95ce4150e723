// Shared readings for the rules: per-layer gradient norms of one update, stuck and flat losses.
import type { MetricsUpdate } from '../context/run-context.ts';
import type { Window } from '../context/window.ts';
import { START_SPAN, type Smoothed } from './smooth.ts';
import { isLayerGradNorm } from '../domain/aliases.ts';

/** The extremes of one update's `grad_norm/<layer>` values; reused across updates. */
export class LayerScan {
  layers = 0;
  zeroLayer: string | null = null;
  zeros = 0;
  /** Smallest non-zero layer norm and its layer. */
  low = Infinity;
  lowLayer: string | null = null;
  high = 0;
  highLayer: string | null = null;

  /** Scans an update; false when it carries no finite per-layer norm. */
  read(update: MetricsUpdate): boolean {
    this.layers = this.zeros = 0;
    this.zeroLayer = this.lowLayer = this.highLayer = null;
    this.low = Infinity;
    this.high = 0;
    update.values.forEach(this.visit);
    return this.layers > 0;
  }

  // forEach with a bound method: no [name, value] pair allocated per metric.
  private readonly visit = (v: number, name: string): void => {
    if (!isLayerGradNorm(name) || !Number.isFinite(v)) return;
    this.layers++;
    const layer = name.slice('grad_norm/'.length);
    if (v === 0) {
      this.zeros++;
      this.zeroLayer ??= layer;
      return;
    }
    if (v < this.low) {
      this.low = v;
      this.lowLayer = layer;
    }
    if (v > this.high) {
      this.high = v;
      this.highLayer = layer;
    }
  };

  /** Smallest over largest non-zero layer norm; 1 when fewer than two layers are non-zero. */
  get spread(): number {
    return this.lowLayer !== null && this.high > 0 && this.lowLayer !== this.highLayer ? this.low / this.high : 1;
  }
}

/**
 * Loss stuck near where it started: seen past its starting points, and its best smoothed level
 * improved on the start by under `share`.
 */
export function stuck(loss: Smoothed, share: number): boolean {
  return loss.count > START_SPAN && loss.start > 0 && loss.best >= (1 - share) * loss.start;
}

/** The least-squares change across a window relative to its mean (-0.1: fell 10% across it); O(1). */
export function relativeTrend(w: Window | undefined): number | null {
  if (!w || w.size < 3) return null;
  const mean = Math.abs(w.mean());
  const slope = w.slope();
  if (!(mean > 0) || !Number.isFinite(slope)) return null;
  return (slope * (w.x(w.size - 1) - w.x(0))) / mean;
}
