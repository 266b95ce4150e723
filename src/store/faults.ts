import { AnalystError } from '../domain/errors.ts';

/**
 * The reasons a database refuses a write that are the state of the machine, not a fault of the
 * service: a full disk, a file another process holds, a read-only or failing file, a database
 * server out of reach or out of room. A request
 * caught by one is answered 503 with the reason (its transaction was rolled back, so nothing of
 * it was written), and background loops wait and try again.
 */
const REASONS: Array<[RegExp, string]> = [
  [/^(SQLITE_FULL|ENOSPC)/, 'the disk holding the database is full'],
  [/^(SQLITE_BUSY|SQLITE_LOCKED)/, 'the database is busy: another process holds a lock on it'],
  [/^SQLITE_READONLY/, 'the database file is read-only'],
  [/^(SQLITE_IOERR|SQLITE_CANTOPEN|EIO)/, 'the database file cannot be read or written (I/O error)'],
  // PostgreSQL's SQLSTATE codes and the socket errors of a server out of reach.
  [/^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND|EPIPE|08...|57P0[1-3])$/, 'the database server cannot be reached'],
  [/^53100$/, 'the disk holding the database is full'],
  [/^(53300|53200|53000)$/, 'the database server is out of connections or memory'],
  [/^(40001|40P01|55P03)$/, 'the database is busy: the write met another one and was rolled back'],
  [/^25006$/, 'the database server is read-only (a standby)'],
];

/** A 503 `unavailable` for a storage error of that kind; undefined for any other error. */
export function storageUnavailable(err: unknown): AnalystError | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return undefined;
  const reason = REASONS.find(([pattern]) => pattern.test(code))?.[1];
  if (!reason) return undefined;
  return new AnalystError('unavailable', `${reason} (${code}); nothing of this request was written, retry later`, undefined, { reason: code });
}
