// The contract between the engine and one diagnostic rule, and the helpers rules share.
import { formatNumber } from '../domain/format.ts';
import type { RunContext, MetricsUpdate } from '../context/run-context.ts';
import { SEVERITY_RANK, type Detection, type FindingKind, type Severity } from '../domain/findings.ts';
import type { GradRange } from './grad-range.ts';
import type { Smoothed } from './smooth.ts';
import type { UpdateView } from './view.ts';

/** What the engine tells a rule about the run besides its metrics. */
export interface RunFacts {
  /** Kinds raised at warning or critical in this run so far (open or resolved). */
  readonly raised: ReadonlySet<FindingKind>;
  /** This update's values, read once for all rules (per-layer norms: `layers` 0 when none). */
  readonly view: UpdateView;
  /** The judged loss (`view.lossName`) smoothed over the run, shared by the rules that read it. */
  readonly loss: Smoothed;
  /** The name of the loss `loss` holds. */
  readonly lossName: 'train_loss' | 'val_loss' | undefined;
  /** Whether this update added a finite value to `loss`. */
  readonly lossFed: boolean;
  /** The global gradient norm's running median of three (finite, non-negative values). */
  readonly gradLevel: Smoothed;
  /** Largest weight norm over the first one logged (1 until a run logs weight norms). */
  readonly weightGrowth: number;
  /** The gradient norm's normal range, without its first points and its outliers. */
  readonly grad: GradRange;
  /**
   * The latest logged learning rate over the one at the last loss point (above 1: it rose, as in a
   * warm-up or a warm restart); NaN before the run has logged one.
   */
  readonly lrRatio: number;
}

/**
 * One rule: reads canonical series from the context and its own small per-run state, costs
 * constant work per point. `undefined`: no opinion, leave any finding as it is; `'clear'`: the
 * condition is gone, resolve an open finding of this kind.
 */
export interface Rule<S = unknown> {
  readonly kind: FindingKind;
  init(): S;
  evaluate(ctx: RunContext, update: MetricsUpdate, state: S, facts: RunFacts): Detection | 'clear' | undefined;
}

/** Builds a rule with its state type checked, stored in the registry without it. */
export function defineRule<S>(rule: Rule<S>): Rule<unknown> {
  return rule as Rule<unknown>;
}

/**
 * Debounce inside a rule: re-describe a condition only when its severity rises, its measure has
 * grown by `growth` since it was last described, or it has held for a tenth more of its life (ten
 * points at least) since: a lasting condition costs little message building per point, and a
 * finding read later still shows numbers from near the run's present, not from where it began.
 * With `growth` Infinity a condition is described once (a first NaN, a first stall).
 */
export class Reporter {
  severity: Severity | null = null;
  private magnitude = 0;
  private held = 0;
  private heldAtLast = 0;

  constructor(private readonly growth = 2) {}

  /** True when a detection with this severity and magnitude is news. */
  due(severity: Severity, magnitude: number): boolean {
    this.held++;
    const stale = Number.isFinite(this.growth) && this.held - this.heldAtLast >= Math.max(REFRESH_POINTS, REFRESH_SHARE * this.held);
    const news =
      this.severity === null ||
      SEVERITY_RANK[severity] > SEVERITY_RANK[this.severity] ||
      Math.abs(magnitude) >= Math.abs(this.magnitude) * this.growth ||
      stale;
    if (news) {
      if (this.severity === null || SEVERITY_RANK[severity] > SEVERITY_RANK[this.severity]) this.severity = severity;
      this.magnitude = Math.max(Math.abs(magnitude), Math.abs(this.magnitude));
      this.heldAtLast = this.held;
    }
    return news;
  }

  /** Forgets the condition; returns 'clear' when it had been reported. */
  clear(): 'clear' | undefined {
    if (this.severity === null) return undefined;
    this.severity = null;
    this.magnitude = 0;
    this.held = this.heldAtLast = 0;
    return 'clear';
  }

  get active(): boolean {
    return this.severity !== null;
  }
}

/** A held condition is re-described after ten points, and after a tenth of its life when longer. */
const REFRESH_POINTS = 10;
const REFRESH_SHARE = 0.1;

/** Kinds that mean training itself blew up; later stuck or dead signals are their consequence. */
export const INSTABILITY: readonly FindingKind[] = ['nan_loss', 'divergence', 'exploding_gradients', 'oscillation'];

/**
 * Weights grown to this many times their first logged norm have been thrown about by huge
 * updates (healthy runs grow them by well under 2x), even when no loss rule caught the moment.
 */
export const WEIGHT_BLOWUP = 5;

/** A finding of an instability was raised in this run (it tells the story of a blow-up). */
export function instabilityRaised(facts: RunFacts): boolean {
  for (const k of INSTABILITY) if (facts.raised.has(k)) return true;
  return false;
}

/** Training blew up earlier in the run: an instability finding, or weights that exploded. */
export function hadInstability(facts: RunFacts): boolean {
  return facts.weightGrowth >= WEIGHT_BLOWUP || instabilityRaised(facts);
}

/** Numbers in findings: three significant digits are enough to act on. */
export const fmt = (n: number | null | undefined): string => formatNumber(n, 3);

/** "epoch 8" / "step 120" / "point 5": where something was seen, in the run's own terms. */
export function where(step: number | null, epoch: number | null): string {
  if (epoch !== null) return `epoch ${fmt(epoch)}`;
  if (step !== null) return `step ${step}`;
  return 'the start';
}

/** Rounds for evidence, so stored numbers stay readable. */
export function round(n: number): number {
  return Number.isFinite(n) ? Number(n.toPrecision(4)) : n;
}
