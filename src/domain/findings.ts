import { z } from 'zod';

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
  message: z.string(),
  evidence: Evidence,
  actions: z.array(z.string()),
  created_at: z.number(),
  updated_at: z.number(),
  resolved_at: z.number().nullable(),
});
export type Finding = z.infer<typeof Finding>;

/** What a rule reports about the current point; the engine turns it into finding changes. */
export interface Detection {
  kind: FindingKind;
  severity: Severity;
  message: string;
  evidence: Evidence;
  actions: string[];
}

export type FindingChange = { type: 'finding_raised' | 'finding_updated' | 'finding_resolved'; finding: Finding; previous?: Severity };
