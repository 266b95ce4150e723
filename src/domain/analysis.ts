// The run analysis of the recorder seed: training summary, stability, overfitting, convergence.
import { z } from 'zod';
import { FindingKind } from './findings.ts';

export const ConvergenceStatus = z.enum(['converging', 'converged', 'diverging', 'unstable']);
export type ConvergenceStatus = z.infer<typeof ConvergenceStatus>;

const num = z.number().nullable();

export const TrainingSummary = z.object({
  total_epochs: num,
  total_steps: num,
  /** The metric that says how good the model is: val_loss, else val_acc, else train_loss. */
  best_metric: z.string().nullable(),
  best_value: num,
  best_epoch: num,
  best_step: num,
  final_train_loss: num,
  final_val_loss: num,
  total_time_s: num,
  avg_epoch_time_s: num,
});
export type TrainingSummary = z.infer<typeof TrainingSummary>;

export const Stability = z.object({
  /** Least-squares slopes over the recent window, per step (or per point without steps). */
  train_loss_slope: num,
  val_loss_slope: num,
  /** The slope times the window's span over the window's mean: the relative change across the window. */
  train_loss_relative: num,
  val_loss_relative: num,
  /** Standard deviation over mean of the window: how noisy the curve is. */
  train_loss_cv: num,
  val_loss_cv: num,
  window_points: z.number(),
});
export type Stability = z.infer<typeof Stability>;

export const OverfittingScore = z.object({
  /** 0 (none) .. 1 (severe); see src/diagnose/analysis.ts for how it is made. */
  score: z.number().min(0).max(1),
  /** Validation loss now over its minimum, minus one. */
  val_rise: num,
  /** (val - train) / val for the latest losses, when val is the larger. */
  generalisation_gap: num,
});
export type OverfittingScore = z.infer<typeof OverfittingScore>;

export const RunAnalysis = z.object({
  run: z.string(),
  summary: TrainingSummary,
  stability: Stability,
  overfitting: OverfittingScore,
  convergence: ConvergenceStatus,
  /** Open warning / critical finding kinds at the time of the analysis. */
  problems: z.array(FindingKind),
  finding_counts: z.object({ info: z.number(), warning: z.number(), critical: z.number() }),
});
export type RunAnalysis = z.infer<typeof RunAnalysis>;

export const RunComparison = z.object({
  better: z.enum(['a', 'b', 'tie']),
  metric: z.string().nullable(),
  /** a's best minus b's best in the compared metric (negative: a is lower). */
  best_difference: num,
  /** a's epochs to its best minus b's. */
  epochs_to_converge_difference: num,
  reason: z.string(),
});
export type RunComparison = z.infer<typeof RunComparison>;
