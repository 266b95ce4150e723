import type { z } from 'zod';

/** Error codes a client can branch on; each maps to one HTTP status. */
export const ERROR_STATUS = {
  invalid_body: 400,
  invalid_query: 400,
  unauthorized: 401,
  /** A request from a place the service does not answer: an unknown Host, a cross-site write, a refused upstream. */
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  /** A reference that matches several runs where one exact run is required; `candidates` lists them. */
  ambiguous_run: 409,
  /** The run was deleted: its id stays gone, so a late batch is refused, not stored under a new run. */
  gone: 410,
  too_large: 413,
  unsupported_media_type: 415,
  /** Well-formed input holding nothing that can be diagnosed: no metric a rule reads, or a binary file. */
  no_metrics: 422,
  /** An idempotency key (or client run id) used before with a different request body. */
  idempotency_conflict: 422,
  rate_limited: 429,
  /** The database cannot take a write right now (full disk, a lock held elsewhere): nothing was written. */
  unavailable: 503,
  /**
   * More batches arrive than the service can store in time: this one was refused before anything
   * was written, and `retry_after` (also the Retry-After header) says in how many seconds to send it again.
   */
  overloaded: 503,
  internal: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export interface IssueDetail {
  path: string;
  message: string;
}

/** The one error type the service raises on purpose; doors turn it into their own shapes. */
export class AnalystError extends Error {
  readonly code: ErrorCode;
  readonly issues?: IssueDetail[];
  /** Extra fields of the error body a client can act on, such as the candidates of an ambiguous reference. */
  readonly details?: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, issues?: IssueDetail[], details?: Record<string, unknown>) {
    super(message);
    this.name = 'AnalystError';
    this.code = code;
    this.issues = issues;
    this.details = details;
  }

  get status(): number {
    return ERROR_STATUS[this.code];
  }
}

/** Zod issue paths as `events.3.values.loss`, the form a person can find in their own payload. */
export function issuesFromZod(error: z.ZodError, prefix: (string | number)[] = []): IssueDetail[] {
  return error.issues.map((issue) => ({
    path: [...prefix, ...issue.path].map(String).join('.') || '(root)',
    message: issue.message,
  }));
}

/** Parses with a schema or throws an AnalystError listing every problem with its path. */
export function parseOrThrow<S extends z.ZodType>(
  schema: S,
  input: unknown,
  what = 'body',
  code: ErrorCode = 'invalid_body',
): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issues = issuesFromZod(result.error);
  throw new AnalystError(code, `invalid ${what}: ${issues[0]?.path}: ${issues[0]?.message}`, issues);
}
