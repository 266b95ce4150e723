import type { z } from 'zod';

/** Error codes a client can branch on; each maps to one HTTP status. */
export const ERROR_STATUS = {
  invalid_body: 400,
  invalid_query: 400,
  unauthorized: 401,
  not_found: 404,
  conflict: 409,
  too_large: 413,
  unsupported_media_type: 415,
  /** Well-formed input holding nothing that can be diagnosed: no metric a rule reads, or a binary file. */
  no_metrics: 422,
  rate_limited: 429,
  unavailable: 503,
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

  constructor(code: ErrorCode, message: string, issues?: IssueDetail[]) {
    super(message);
    this.name = 'AnalystError';
    this.code = code;
    this.issues = issues;
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
