import { z } from 'zod';
import { formatNumber } from './format.ts';

export const FindingKind = z.enum([
  'nan_loss',
  'divergence',
  'exploding_gradients',
  'vanishing_gradients',
  'dead_relu',
  'lr_too_low',
  'oscillation',
  'plateau',
  'overfitting',
  'slow_throughput',
]);
export type FindingKind = z.infer<typeof FindingKind>;

export const Severity = z.enum(['info', 'warning', 'critical']);
export type Severity = z.infer<typeof Severity>;

export const SEVERITY_RANK: Record<Severity, number> = { info: 0, warning: 1, critical: 2 };

export const FindingStatus = z.enum(['open', 'resolved']);
export type FindingStatus = z.infer<typeof FindingStatus>;

/** The numbers that made a rule fire, by name; non-finite values stay numbers here. */
export const Evidence = z.record(z.string(), z.union([z.number(), z.string(), z.boolean(), z.null()]));
export type Evidence = z.infer<typeof Evidence>;

export const Finding = z.object({
  id: z.string(),
  run: z.string(),
  kind: FindingKind,
  severity: Severity,
  status: FindingStatus,
  /** Where the condition was first seen. */
  step: z.number().nullable(),
  epoch: z.number().nullable(),
  /** Where the run was when the message and evidence were last written (absent: where first seen). */
  seen_step: z.number().nullable().optional(),
  seen_epoch: z.number().nullable().optional(),
  message: z.string(),
  evidence: Evidence,
  actions: z.array(z.string()),
  created_at: z.number(),
  updated_at: z.number(),
  resolved_at: z.number().nullable(),
});
export type Finding = z.infer<typeof Finding>;

/** Where a run is: its latest step and epoch. */
export interface RunPosition {
  step: number | null;
  epoch: number | null;
}

function at(p: RunPosition): string {
  return p.epoch !== null ? `epoch ${formatNumber(p.epoch)}` : p.step !== null ? `step ${p.step}` : 'the start';
}

/**
 * A finding as it reads now. Rules describe a held condition again only as it grows, so an open
 * finding's message and evidence are the figures of the point they were written at; once the run
 * has moved past that point, the message says which point its figures are from and where the run
 * is now, so it never reads as the present ("epoch 30" while the run is at 40). Resolved findings
 * are history and read as they were.
 */
export function asOfNow(f: Finding, now: RunPosition): Finding {
  if (f.status !== 'open') return f;
  const seen: RunPosition = { step: f.seen_step ?? f.step, epoch: f.seen_epoch ?? f.epoch };
  const moved = seen.epoch !== null && now.epoch !== null ? now.epoch > seen.epoch : seen.step !== null && now.step !== null && now.step > seen.step;
  if (!moved) return f;
  return { ...f, message: `${f.message} (Figures as of ${at(seen)}; the run is now at ${at(now)}.)` };
}

/** What a rule reports about the current point; the engine turns it into finding changes. */
export interface Detection {
  kind: FindingKind;
  severity: Severity;
  message: string;
  evidence: Evidence;
  actions: string[];
}

export type FindingChange = { type: 'finding_raised' | 'finding_updated' | 'finding_resolved'; finding: Finding; previous?: Severity };
