import { Worker } from 'node:worker_threads';

const WORKER = new URL('./checkpoint.worker.js', import.meta.url);
/** A log this long is copied back into the database: SQLite's own default (1,000 pages of 4 KiB). */
const WAL_BYTES = 4 * 1024 * 1024;
const CHECK_EVERY_MS = 200;
/** SQLite's default, for when the worker is gone. */
const AUTOCHECKPOINT_PAGES = 1000;

/**
 * WAL checkpoints off the service's thread (see checkpoint.worker.js). SQLite would otherwise run
 * them inside the commit that crosses the threshold, on this thread. Should the worker die, SQLite
 * takes the checkpoints back: slower commits, never a log that grows without end.
 */
export class Checkpointer {
  private readonly worker: Worker;
  private readonly exited: Promise<void>;
  private closing = false;

  /** `pragma` sets a pragma on every connection that commits (the store's and its writer thread's). */
  constructor(path: string, pragma: (pragma: string) => void) {
    pragma('wal_autocheckpoint = 0');
    this.worker = new Worker(WORKER, { workerData: { path, walBytes: WAL_BYTES, everyMs: CHECK_EVERY_MS } });
    this.worker.unref();
    // Its death is handled at its exit, which follows.
    this.worker.on('error', () => {});
    this.exited = new Promise((resolve) =>
      this.worker.once('exit', () => {
        if (!this.closing) pragma(`wal_autocheckpoint = ${AUTOCHECKPOINT_PAGES}`);
        resolve();
      }),
    );
  }

  async close(): Promise<void> {
    this.closing = true;
    // Waited for: the process must not end before it has.
    this.worker.ref();
    this.worker.postMessage('close');
    await this.exited;
  }
}
