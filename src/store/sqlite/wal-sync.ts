import { closeSync, fsync, fsyncSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { AnalystError } from '../../domain/errors.ts';

/** `fs.fsync`'s shape: tests give one that waits or fails on demand. */
export type Fsync = (fd: number, done: (err: NodeJS.ErrnoException | null) => void) => void;

/**
 * Makes commits durable without blocking the event loop. The store runs SQLite with
 * `synchronous = NORMAL`: a commit writes its pages to the write-ahead log and returns without
 * waiting for the disk, and the log is flushed here, by fsync on the thread pool, before a
 * commit's caller goes on (and before any batch in it is acknowledged). A commit is then as
 * durable as with `synchronous = FULL`, but the loop keeps serving requests during the flush.
 *
 * fsync covers every write made to the file before it began, from any descriptor: commits that
 * arrive while one is in flight share the next one, so a burst of commits costs two flushes.
 * The log file stays the same file while the store's connection is open (SQLite deletes it only
 * when the last connection closes), so one descriptor serves for the store's life.
 */
export class WalSync {
  private fd: number | undefined;
  private inFlight: Promise<void> | undefined;
  /** The flush that starts once the one in flight ends, shared by every commit until it starts. */
  private next: Promise<void> | undefined;

  constructor(
    private readonly dbPath: string,
    private readonly flush: Fsync = fsync,
  ) {}

  /**
   * Opens the log and flushes it and its folder once, so that the log file itself (created by
   * SQLite when the database was opened) survives a power loss. Blocking: at start-up only.
   */
  open(): void {
    this.fd = openSync(`${this.dbPath}-wal`, 'r');
    fsyncSync(this.fd);
    const dir = openSync(dirname(this.dbPath), 'r');
    try {
      fsyncSync(dir);
    } finally {
      closeSync(dir);
    }
  }

  /** Resolves once everything committed before the call is on disk; a failed flush rejects with a 503. */
  sync(): Promise<void> {
    if (this.fd === undefined) return Promise.resolve();
    if (!this.inFlight) return this.start();
    // The flush in flight may have begun before this commit's writes: only a later one covers them.
    return (this.next ??= this.inFlight.then(
      () => this.startNext(),
      () => this.startNext(),
    ));
  }

  private startNext(): Promise<void> {
    this.next = undefined;
    return this.start();
  }

  private start(): Promise<void> {
    const fd = this.fd!;
    const flushed = new Promise<void>((resolve, reject) => this.flush(fd, (err) => (err ? reject(notDurable(err)) : resolve())));
    this.inFlight = flushed;
    const settled = () => {
      if (this.inFlight === flushed) this.inFlight = undefined;
    };
    flushed.then(settled, settled);
    return flushed;
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

/**
 * The commit is in the file but the disk did not confirm it: a power loss could still take it.
 * Its batches are refused, so no client counts on them; a retry with the same idempotency keys
 * (client_seq or event_id) stores nothing twice.
 */
function notDurable(err: NodeJS.ErrnoException): AnalystError {
  const code = err.code ?? 'EIO';
  return new AnalystError(
    'unavailable',
    `the disk did not confirm the write of this request (fsync of the database log failed: ${code}); it is not acknowledged and may be lost, retry later`,
    undefined,
    { reason: code },
  );
}
