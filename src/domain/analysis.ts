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

/** One run's place when runs are ranked on the metric they share, better performer first. */
export const RunRank = z.object({
  run: z.string(),
  /** 1 for the best; runs within a tie share a rank; runs without the metric come last, with null. */
  rank: z.number().int().positive().nullable(),
  best_value: num,
  best_epoch: num,
  /** This run's best minus the leader's (0 for the leader; negative: lower). */
  best_difference: num,
  /** This run's epochs to its best (the epoch early stopping would keep) minus the leader's. */
  epochs_to_converge_difference: num,
});
export type RunRank = z.infer<typeof RunRank>;

/** Runs ranked on one metric: the one most of them report as their best metric. */
export const RunRanking = z.object({
  metric: z.string().nullable(),
  lower_is_better: z.boolean().nullable(),
  ranking: z.array(RunRank),
});
export type RunRanking = z.infer<typeof RunRanking>;

/** Two runs side by side: the pair form of a ranking (`GET /runs/compare?a=&b=`). */
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

/** `GET /runs/compare?ids=a,b,c`: 2 to 20 runs by id or name, as every run route reads them. */
export const MAX_COMPARED = 20;
const refs = z
  .string()
  .transform((s) => s.split(',').map((r) => r.trim()).filter(Boolean))
  .pipe(z.array(z.string()).min(2, 'compare at least 2 runs').max(MAX_COMPARED, `compare at most ${MAX_COMPARED} runs`));
export const CompareQuery = z
  .object({ ids: refs.optional(), a: z.string().min(1).optional(), b: z.string().min(1).optional() })
  .superRefine((q, ctx) => {
    if (q.ids) return;
    for (const k of ['a', 'b'] as const) if (!q[k]) ctx.addIssue({ code: 'custom', path: [k], message: `give ids=a,b,... or both a= and b=` });
  })
  .transform((q) => ({ refs: q.ids ?? [q.a!, q.b!], pair: !q.ids }));
export type CompareQuery = z.output<typeof CompareQuery>;

/** A value as a table cell shows it: config values are any JSON; a missing one is null. */
const Cell = z.unknown();

export const ComparedRun = z.object({
  id: z.string(),
  name: z.string(),
  project: z.string(),
  status: z.string(),
  config: z.record(z.string(), z.unknown()),
  analysis: RunAnalysis,
});

export const RunsComparison = RunRanking.extend({
  runs: z.array(ComparedRun),
  /** Only the config keys whose values differ: key → one value per run, in `runs` order. */
  config_differences: z.record(z.string(), z.array(Cell)),
  /** The summary and analysis figures that differ, the same way. */
  summary_differences: z.record(z.string(), z.array(Cell)),
  /** The comparison in words, naming runs by name. */
  text: z.string(),
  /** The pair form only: the two runs and their comparison, as before ids= existed. */
  a: ComparedRun.optional(),
  b: ComparedRun.optional(),
  comparison: RunComparison.optional(),
});
export type RunsComparison = z.infer<typeof RunsComparison>;
