import { z } from 'zod';

/** A run whose stored events end before the last seq acknowledged to a client. */
export const LostEvents = z.object({
  run: z.string(),
  name: z.string().nullable(),
  acknowledged_seq: z.number().int(),
  stored_seq: z.number().int(),
});
export type LostEvents = z.infer<typeof LostEvents>;

/** What the start-up check of the database found: `ok` false says something was lost or damaged. */
export const IntegrityReport = z.object({
  ok: z.boolean(),
  checked_at: z.number(),
  /** SQLite's quick_check findings, empty when the file is sound. */
  problems: z.array(z.string()),
  lost: z.array(LostEvents),
  /** The acknowledgement ledger could not be written at some point, so it may understate what was promised. */
  ledger_error: z.string().nullable(),
});
export type IntegrityReport = z.infer<typeof IntegrityReport>;
