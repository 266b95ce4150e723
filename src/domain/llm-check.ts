// What `analyst doctor` and GET /llm report about the model the analyst uses.
import { z } from 'zod';

export const LlmCheck = z.object({
  provider: z.enum(['openai', 'ollama', 'offline']),
  model: z.string(),
  /** Why this provider and model (ANALYST_LLM, the auto probe, the model list). */
  because: z.string(),
  endpoint: z.string().nullable(),
  /** Settings that look wrong. */
  warnings: z.array(z.string()),
  /** What the server was found to accept; null for the offline narrator. */
  accepted: z
    .object({
      structured_output: z.string(),
      output_cap: z.string(),
      learned: z.array(z.string()),
    })
    .nullable(),
  circuit: z.enum(['closed', 'open', 'half-open']),
  /** The connection check: one short structured call, its time from request to parsed answer. */
  check: z.object({
    ok: z.boolean(),
    round_trip_ms: z.number().nullable(),
    error: z.string().nullable(),
    at: z.string(),
  }),
});
export type LlmCheck = z.infer<typeof LlmCheck>;

/** GET /llm?fresh=true: a new connection check rather than one from the last minute. */
export const LlmQuery = z.object({ fresh: z.enum(['true', 'false']).optional() });
