// Shared readings for the rules: what one update carries, and stuck or flat losses.
import type { MetricsUpdate, RunContext } from '../context/run-context.ts';
import { START_SPAN, type Smoothed } from './smooth.ts';
import { isLayerGradNorm } from '../domain/aliases.ts';

/** Layers remembered as having had a gradient: more than a network logs per layer in practice. */
const MAX_LAYERS = 1024;

/**
 * What one update carries, read in a single pass over its values for all rules: the canonical
 * metrics rules judge (undefined when absent) and, when it carries a `grad_norm/<layer>` value,
 * the extremes of every layer's latest norm. The layers are read as a whole from their latest
 * values because a trainer may log each layer in an event of its own: a scan of one event would
 * see a single layer, with no spread and no live layer beside a dead one.
 * Reused across updates, so reading costs no allocation.
 */
export class UpdateView {
  trainLoss: number | undefined;
  valLoss: number | undefined;
  trainAcc: number | undefined;
  valAcc: number | undefined;
  gradNorm: number | undefined;
  weightNorm: number | undefined;
  lr: number | undefined;
  epochTime: number | undefined;
  stepTime: number | undefined;
  throughput: number | undefined;
  /** The loss rules judge (train loss when the run logs it, else validation loss) and its name. */
  loss: number | undefined;
  lossName: 'train_loss' | 'val_loss' | undefined;
  layers = 0;
  zeroLayer: string | null = null;
  zeros = 0;
  /** A layer at exactly zero now whose gradient was non-zero earlier in the run: it died. */
  diedLayer: string | null = null;
  /** Layers seen with a non-zero gradient (bounded by the run's layers, a few hundred at most). */
  private readonly alive = new Set<string>();
  /** Each layer's latest norm (as bounded as `alive`), and whether this update gave one. */
  private readonly latest = new Map<string, number>();
  private layerFed = false;
  /** Smallest non-zero layer norm and its layer. */
  low = Infinity;
  lowLayer: string | null = null;
  high = 0;
  highLayer: string | null = null;

  read(ctx: RunContext, update: MetricsUpdate): void {
    this.trainLoss = this.valLoss = this.trainAcc = this.valAcc = undefined;
    this.gradNorm = this.weightNorm = this.lr = this.epochTime = this.stepTime = this.throughput = undefined;
    this.layers = this.zeros = 0;
    this.zeroLayer = this.lowLayer = this.highLayer = this.diedLayer = null;
    this.low = Infinity;
    this.high = 0;
    this.layerFed = false;
    update.values.forEach(this.visit);
    if (this.layerFed) this.latest.forEach(this.scan);
    this.lossName = ctx.series.has('train_loss') ? 'train_loss' : ctx.series.has('val_loss') ? 'val_loss' : undefined;
    this.loss = this.lossName === 'train_loss' ? this.trainLoss : this.lossName === 'val_loss' ? this.valLoss : undefined;
  }

  /** The value of a canonical name this view holds. */
  get(name: 'train_loss' | 'val_loss' | 'train_acc' | 'val_acc' | 'grad_norm' | 'epoch_time' | 'step_time' | 'throughput'): number | undefined {
    switch (name) {
      case 'train_loss':
        return this.trainLoss;
      case 'val_loss':
        return this.valLoss;
      case 'train_acc':
        return this.trainAcc;
      case 'val_acc':
        return this.valAcc;
      case 'grad_norm':
        return this.gradNorm;
      case 'epoch_time':
        return this.epochTime;
      case 'step_time':
        return this.stepTime;
      case 'throughput':
        return this.throughput;
    }
  }

  // forEach with a bound method: no [name, value] pair allocated per metric.
  private readonly visit = (v: number, name: string): void => {
    switch (name) {
      case 'train_loss':
        this.trainLoss = v;
        return;
      case 'val_loss':
        this.valLoss = v;
        return;
      case 'train_acc':
        this.trainAcc = v;
        return;
      case 'val_acc':
        this.valAcc = v;
        return;
      case 'grad_norm':
        this.gradNorm = v;
        return;
      case 'weight_norm':
        this.weightNorm = v;
        return;
      case 'lr':
        this.lr = v;
        return;
      case 'epoch_time':
        this.epochTime = v;
        return;
      case 'step_time':
        this.stepTime = v;
        return;
      case 'throughput':
        this.throughput = v;
        return;
    }
    if (!isLayerGradNorm(name) || !Number.isFinite(v)) return;
    const layer = name.slice('grad_norm/'.length);
    if (!this.latest.has(layer) && this.latest.size >= MAX_LAYERS) return;
    this.latest.set(layer, v);
    if (v !== 0 && this.alive.size < MAX_LAYERS) this.alive.add(layer);
    this.layerFed = true;
  };

  private readonly scan = (v: number, layer: string): void => {
    this.layers++;
    if (v === 0) {
      this.zeros++;
      this.zeroLayer ??= layer;
      // A zero is never added to `alive`: a layer in it at zero had a gradient earlier, and died.
      if (this.diedLayer === null && this.alive.has(layer)) this.diedLayer = layer;
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
