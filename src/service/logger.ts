import pino from 'pino';

/** Structured JSON logs on stderr, so stdout stays free for what a command prints. */
export function createLogger(level: string) {
  return pino({ level, base: { service: 'training-analyst' } }, pino.destination(2));
}
