import { AsyncLocalStorage } from 'node:async_hooks';
import type Database from 'better-sqlite3';
import { Mutex } from 'async-mutex';

/** An open transaction or savepoint. Its savepoints take turns, so one rolled back never undoes a sibling's writes. */
interface Frame {
  readonly parent: Frame | undefined;
  readonly children: Mutex;
  /** Set once it committed or rolled back: work it started that outlives it belongs to its parent, or to none. */
  done: boolean;
}

/**
 * The one better-sqlite3 connection every caller shares, and the transactions on it. SQLite has
 * a single transaction per connection, so a top-level transaction holds `writes` until it ends,
 * and a write made outside any transaction waits for that one to end rather than land in it.
 * Statements run synchronously: when nothing holds the lock a write runs at once, and reads never wait.
 */
export class SqliteConnection {
  private readonly writes = new Mutex();
  private readonly frames = new AsyncLocalStorage<Frame>();
  private savepoints = 0;

  /** `durable` resolves once what was committed before it was called is on disk (see WalSync). */
  constructor(
    readonly db: Database.Database,
    private readonly durable: () => Promise<void> = () => Promise.resolve(),
  ) {}

  /** The transaction open in the caller's asynchronous context, if any. */
  private current(): Frame | undefined {
    let frame = this.frames.getStore();
    while (frame?.done) frame = frame.parent;
    return frame;
  }

  /**
   * Runs `fn`, which writes, in the caller's transaction (made durable by its commit), or alone
   * when the caller has none, resolving once it is durable.
   */
  write<T>(fn: () => T): Promise<T> {
    if (this.current()) return run(fn);
    return this.afterFlush(this.writes.isLocked() ? this.writes.runExclusive(fn) : run(fn));
  }

  /**
   * The outermost transaction resolves once its commit is durable. The write lock is released at
   * the commit, before the flush, so the next transaction is written while this one's flushes.
   */
  transaction<T>(fn: () => Promise<T>): Promise<T> {
    const parent = this.current();
    if (parent) return parent.children.runExclusive(() => this.savepoint(parent, fn));
    return this.afterFlush(this.writes.runExclusive(() => this.outermost(fn)));
  }

  private async afterFlush<T>(committed: Promise<T>): Promise<T> {
    const value = await committed;
    await this.durable();
    return value;
  }

  private async outermost<T>(fn: () => Promise<T>): Promise<T> {
    const frame: Frame = { parent: undefined, children: new Mutex(), done: false };
    this.db.exec('BEGIN');
    try {
      const value = await this.frames.run(frame, fn);
      frame.done = true;
      this.db.exec('COMMIT');
      return value;
    } catch (err) {
      frame.done = true;
      // SQLite rolls back by itself on some errors (a full disk); a failed COMMIT leaves it open.
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
      throw err;
    }
  }

  private async savepoint<T>(parent: Frame, fn: () => Promise<T>): Promise<T> {
    const name = `sp${++this.savepoints}`;
    const frame: Frame = { parent, children: new Mutex(), done: false };
    this.db.exec(`SAVEPOINT ${name}`);
    try {
      const value = await this.frames.run(frame, fn);
      frame.done = true;
      this.db.exec(`RELEASE ${name}`);
      return value;
    } catch (err) {
      frame.done = true;
      if (this.db.inTransaction) this.db.exec(`ROLLBACK TO ${name}; RELEASE ${name}`);
      throw err;
    }
  }
}

function run<T>(fn: () => T): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (err) {
    return Promise.reject(err);
  }
}
