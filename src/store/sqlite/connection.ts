import { AsyncLocalStorage } from 'node:async_hooks';
import type Database from 'better-sqlite3';
import { Mutex } from 'async-mutex';
import type { AppendPlan } from './append-rows.js';
import type { AppendWriter } from './writer.ts';

/**
 * An open transaction or savepoint. Its savepoints take turns, so one rolled back never undoes a
 * sibling's writes. In a transaction of batches (see `transaction`) it is opened in SQLite only
 * when something must be written on this thread; until then it holds no SQLite state.
 */
interface Frame {
  readonly parent: Frame | undefined;
  readonly children: Mutex;
  /** Set once it committed or rolled back: work it started that outlives it belongs to its parent, or to none. */
  done: boolean;
  /** BEGIN or SAVEPOINT was run for it. */
  opened: boolean;
  /** Its savepoint's name; none for the outermost transaction. */
  readonly name: string | undefined;
  /** Of the outermost frame of a transaction of batches: the batches planned for the writer thread. */
  readonly offThread: OffThread | undefined;
}

/** Batches planned in a transaction of batches, written by the writer thread at its commit. */
interface OffThread {
  planned: Array<{ frame: Frame; plan: AppendPlan; gids: (gids: number[]) => void }>;
  runs: Set<string>;
  /** Something had to be written on this thread: every batch is then written here too, in one transaction. */
  local: boolean;
}

export interface TransactionOptions {
  /**
   * The transaction holds independent batches, at most one per run, each in a nested transaction
   * of its own (see GroupCommit): their rows may be written by the writer thread. Its caller
   * begins no batch of these runs until `committed` was called.
   */
  batches?: boolean;
  /** Called once the transaction committed, before its flush to disk. */
  committed?: () => void;
}

/**
 * The one better-sqlite3 connection every caller shares, and the transactions on it. SQLite has
 * a single transaction per connection, so a top-level transaction holds `writes` until it ends,
 * and a write made outside any transaction waits for that one to end rather than land in it.
 * Statements run synchronously: when nothing holds the lock a write runs at once, and reads never wait.
 *
 * With a writer thread (see AppendWriter), a transaction of batches that only appends events
 * (the common case: REST and WebSocket batches) is written there, on the writer's own
 * connection. Its batches are planned here from what is committed (one batch per run, and no
 * run of a transaction still being written, so none depends on rows not yet committed) and
 * handed to the writer at its end, in one transaction. `writes` is released then, so the next
 * transaction of batches is planned while the writer writes this one; anything written on this
 * thread waits until the writer is done, so the two connections never write at once. Should a
 * batch need anything else written (a finding, a snapshot, a status), its transaction is written
 * on this thread from that moment, the batches planned before it included, as without a writer.
 */
export class SqliteConnection {
  private readonly writes = new Mutex();
  private readonly frames = new AsyncLocalStorage<Frame>();
  private savepoints = 0;
  /** Transactions handed to the writer thread and not yet answered; `offThreadDone` settles when the last one is. */
  private offThreadWriting = 0;
  private offThreadDone: Promise<unknown> = Promise.resolve();

  /** `durable` resolves once what was committed before it was called is on disk (see WalSync). */
  constructor(
    readonly db: Database.Database,
    private readonly durable: () => Promise<void> = () => Promise.resolve(),
    private readonly writeRows: (plan: AppendPlan) => number[] = () => {
      throw new Error('no statements to write planned rows with');
    },
    private readonly writer: () => AppendWriter | undefined = () => undefined,
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
    const frame = this.current();
    if (frame) {
      if (!frame.opened && this.offThreadWriting) return this.offThreadDone.then(() => this.write(fn));
      try {
        this.open(frame);
      } catch (err) {
        return Promise.reject(err);
      }
      return run(fn);
    }
    if (!this.writes.isLocked() && !this.offThreadWriting) return this.afterFlush(run(fn));
    return this.afterFlush(this.writes.runExclusive(() => this.afterOffThread(fn)));
  }

  /** `fn`, once the writer thread wrote what it was handed: SQLite lets one connection write at a time, and a wait for it would block this thread. */
  private async afterOffThread<T>(fn: () => T | Promise<T>): Promise<T> {
    while (this.offThreadWriting) await this.offThreadDone;
    return fn();
  }

  /**
   * Whether a batch of `run`, planned now, goes to the writer thread (`plan` is then handed to
   * it): in a transaction of batches that has written nothing on this thread, and for a run with
   * no other batch in it. Otherwise the caller writes its rows itself, through `write`.
   */
  offThread(run: string, plan: () => AppendPlan, gids: (gids: number[]) => void): boolean {
    const frame = this.current();
    let outer = frame;
    while (outer?.parent) outer = outer.parent;
    const off = outer?.offThread;
    if (!frame || !off || off.local || off.runs.has(run) || !this.writer()?.alive) return false;
    off.planned.push({ frame, plan: plan(), gids });
    off.runs.add(run);
    return true;
  }

  /**
   * The outermost transaction resolves once its commit is durable. The write lock is released at
   * the commit, before the flush, so the next transaction is written while this one's flushes.
   */
  transaction<T>(fn: () => Promise<T>, opts: TransactionOptions = {}): Promise<T> {
    const parent = this.current();
    if (parent) return parent.children.runExclusive(() => this.savepoint(parent, fn));
    const written = this.writes.runExclusive(() => this.outermost(fn, opts)).then(async ({ value, offThread }) => {
      // Awaited once `writes` is free: the next transaction is planned meanwhile.
      await offThread;
      opts.committed?.();
      return value;
    });
    return this.afterFlush(written);
  }

  private async afterFlush<T>(committed: Promise<T>): Promise<T> {
    const value = await committed;
    await this.durable();
    return value;
  }

  /** Runs BEGIN or SAVEPOINT for `frame` (and the frames around it) if not yet done, with the batches planned in them. */
  private open(frame: Frame): void {
    if (frame.opened) return;
    if (frame.parent) {
      this.open(frame.parent);
      this.db.exec(`SAVEPOINT ${frame.name}`);
    } else {
      this.db.exec('BEGIN');
    }
    frame.opened = true;
    let outer = frame;
    while (outer.parent) outer = outer.parent;
    const off = outer.offThread;
    if (!off) return;
    off.local = true;
    // A planned batch belongs to the innermost frame around it still open: one that ended kept its rows in its parent.
    const owner = (f: Frame) => {
      while (f.done && f.parent) f = f.parent;
      return f;
    };
    const mine = (p: { frame: Frame }) => owner(p.frame) === frame;
    for (const p of off.planned.filter(mine)) p.gids(this.writeRows(p.plan));
    off.planned = off.planned.filter((p) => !mine(p));
  }

  /** The transaction's value, and the writer thread's commit of it when it was handed there. */
  private async outermost<T>(fn: () => Promise<T>, opts: TransactionOptions): Promise<{ value: T; offThread?: Promise<void> }> {
    const offThread = opts.batches && this.writer()?.alive ? { planned: [], runs: new Set<string>(), local: false } : undefined;
    const frame: Frame = { parent: undefined, children: new Mutex(), done: false, opened: false, name: undefined, offThread };
    if (!offThread) await this.afterOffThread(() => this.open(frame));
    try {
      const value = await this.frames.run(frame, fn);
      frame.done = true;
      if (frame.opened) this.db.exec('COMMIT');
      else if (offThread?.planned.length) return { value, offThread: this.commitOffThread(offThread) };
      return { value };
    } catch (err) {
      frame.done = true;
      // SQLite rolls back by itself on some errors (a full disk); a failed COMMIT leaves it open.
      if (frame.opened && this.db.inTransaction) this.db.exec('ROLLBACK');
      throw err;
    }
  }

  /** The planned batches, written and committed by the writer thread in one transaction: all or none. */
  private commitOffThread(off: OffThread): Promise<void> {
    const planned = off.planned;
    const written = this.writer()!.write(planned.map((p) => p.plan));
    this.offThreadWriting++;
    // The writer answers in the order it was asked: once this one is answered, so are those before it.
    const settled = written.then(
      () => this.offThreadWriting--,
      () => this.offThreadWriting--,
    );
    this.offThreadDone = settled;
    return written.then((gids) => planned.forEach((p, i) => p.gids(gids[i])));
  }

  private async savepoint<T>(parent: Frame, fn: () => Promise<T>): Promise<T> {
    const name = `sp${++this.savepoints}`;
    const frame: Frame = { parent, children: new Mutex(), done: false, opened: false, name, offThread: undefined };
    // Outside a transaction of batches, every frame is opened at once, as it always was.
    if (parent.opened) this.open(frame);
    try {
      const value = await this.frames.run(frame, fn);
      frame.done = true;
      if (frame.opened) this.db.exec(`RELEASE ${name}`);
      return value;
    } catch (err) {
      frame.done = true;
      if (frame.opened && this.db.inTransaction) this.db.exec(`ROLLBACK TO ${name}; RELEASE ${name}`);
      this.forget(frame);
      throw err;
    }
  }

  /** Batches planned in a frame that rolled back (or in the frames inside it) are never written. */
  private forget(frame: Frame): void {
    let outer = frame;
    while (outer.parent) outer = outer.parent;
    const off = outer.offThread;
    if (!off) return;
    const inside = (f: Frame | undefined): boolean => f !== undefined && (f === frame || inside(f.parent));
    for (const p of off.planned) if (inside(p.frame)) off.runs.delete(p.plan.run);
    off.planned = off.planned.filter((p) => !inside(p.frame));
  }
}

function run<T>(fn: () => T): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (err) {
    return Promise.reject(err);
  }
}
