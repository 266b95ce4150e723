import { AnalystError } from '../domain/errors.ts';

/**
 * How long batches may already be waiting for their group before new ones are refused. A trainer
 * waits for each acknowledgement (the Python client for 10 s by default): once the queue holds more
 * than a second of work it only grows, every batch in it gets later, and clients time out and
 * send again what may already be stored. A fast refusal with a Retry-After spreads the load over
 * time instead, and a refused batch was never written, so sending it again loses and doubles nothing.
 */
export const MAX_QUEUE_WAIT_MS = 1000;

/** At most this many seconds between a refusal and the retry it asks for. */
const MAX_RETRY_AFTER_S = 30;

/** The refusal of a new batch when the oldest waiting one has waited `waitMs`, or undefined to take it. */
export function overloadRefusal(waitMs: number): AnalystError | undefined {
  if (waitMs <= MAX_QUEUE_WAIT_MS) return undefined;
  // Twice the backlog: by then this backlog is written, and the clients refused meanwhile come back spread out.
  const retryAfter = Math.min(MAX_RETRY_AFTER_S, Math.ceil((2 * waitMs) / 1000));
  return new AnalystError(
    'overloaded',
    `the service is ${Math.round(waitMs)} ms behind in storing batches; nothing of this one was stored: send it again in ${retryAfter} s`,
    undefined,
    { retry_after: retryAfter },
  );
}
