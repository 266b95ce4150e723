import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { AnalystError } from '../../domain/errors.ts';
import type { AppendPlan } from './append-rows.js';

const WORKER = new URL('./writer.worker.js', import.meta.url);

type Answer = { id: number; gids?: number[][]; value?: unknown; error?: { message: string; code?: string } };

/**
 * The writer thread (see writer.worker.js): writes the planned batches of a transaction of
 * batches (see SqliteConnection) on its own connection to the same file, and commits them, off
 * the event loop. The commit is flushed to disk by the service's thread afterwards, as every
 * commit is (see WalSync): the flush of the log covers what either connection wrote.
 */
export class AppendWriter {
  private readonly worker: Worker;
  private readonly waiting = new Map<number, { resolve: (a: Answer) => void; reject: (err: unknown) => void }>();
  private next = 0;
  private stopped = false;
  /** Asked to close: held alive until it exits, whatever answers still come in. */
  private closing = false;
  private readonly exited: Promise<void>;

  constructor(path: string) {
    this.worker = new Worker(WORKER, { workerData: { path } });
    this.worker.unref();
    this.worker.on('message', (a: Answer) => {
      const w = this.waiting.get(a.id);
      this.waiting.delete(a.id);
      w?.resolve(a);
    });
    // Its death is handled at its exit, which follows.
    this.worker.on('error', () => {});
    this.exited = new Promise((resolve) =>
      this.worker.once('exit', () => {
        this.stopped = true;
        for (const w of this.waiting.values()) w.reject(writerStopped());
        this.waiting.clear();
        resolve();
      }),
    );
  }

  /** False once the thread is gone: transactions are then written on the service's thread. */
  get alive(): boolean {
    return !this.stopped;
  }

  /** Writes and commits the plans in one transaction: each one's gids, or the error (a SQLite error, with its code) that rolled all back. */
  async write(plans: AppendPlan[]): Promise<number[][]> {
    return (await this.ask({ type: 'write', plans })).gids!;
  }

  /** Sets a pragma on the writer's connection (a connection's own limits, as `max_page_count` or `query_only`); its value. */
  async pragma(pragma: string): Promise<unknown> {
    return (await this.ask({ type: 'pragma', pragma })).value;
  }

  private async ask(message: { type: string; [k: string]: unknown }): Promise<Answer> {
    if (this.stopped) throw writerStopped();
    const id = this.next++;
    const answer = await new Promise<Answer>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      // Held alive while it owes an answer: the process must not end with a commit half told.
      this.worker.ref();
      this.worker.postMessage({ id, ...message });
    }).finally(() => {
      // Not once closing: an answer arriving after close() would let the process end before the
      // thread exits, with close() still waiting for it.
      if (!this.waiting.size && !this.closing) this.worker.unref();
    });
    if (answer.error) throw new Database.SqliteError(answer.error.message, answer.error.code ?? 'SQLITE_ERROR');
    return answer;
  }

  async close(): Promise<void> {
    if (this.stopped) return;
    this.closing = true;
    this.worker.ref();
    this.worker.postMessage({ type: 'close' });
    await this.exited;
  }
}

/** The writer thread ended (it crashed): what it was asked to write is not stored, and the next transactions are written on the service's thread. */
function writerStopped(): AnalystError {
  return new AnalystError('unavailable', 'the database writer thread stopped; nothing of this request was written, retry later', undefined, { reason: 'writer_stopped' });
}
