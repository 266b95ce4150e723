import { AnalystError } from '../domain/errors.ts';

/**
 * The reasons a database refuses a write that are the state of the machine, not a fault of the
 * service: a full disk, a file another process holds, a read-only or failing file. A request
 * caught by one is answered 503 with the reason (its transaction was rolled back, so nothing of
 * it was written), and background loops wait and try again.
 */
const REASONS: Array<[RegExp, string]> = [
  [/^(SQLITE_FULL|ENOSPC)/, 'the disk holding the database is full'],
  [/^(SQLITE_BUSY|SQLITE_LOCKED)/, 'the database is busy: another process holds a lock on it'],
  [/^SQLITE_READONLY/, 'the database file is read-only'],
  [/^(SQLITE_IOERR|SQLITE_CANTOPEN|EIO)/, 'the database file cannot be read or written (I/O error)'],
];

/** A 503 `unavailable` for a storage error of that kind; undefined for any other error. */
export function storageUnavailable(err: unknown): AnalystError | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return undefined;
  const reason = REASONS.find(([pattern]) => pattern.test(code))?.[1];
  if (!reason) return undefined;
  return new AnalystError('unavailable', `${reason} (${code}); nothing of this request was written, retry later`, undefined, { reason: code });
}
