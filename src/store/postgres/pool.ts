import { AsyncLocalStorage } from 'node:async_hooks';
import pg from 'pg';

/** What a query answers: its rows and how many rows it changed (or returned). */
export interface QueryResult<R> {
  rows: R[];
  rowCount: number;
}

/**
 * The connection pool of a PostgreSQL store and the transaction it is in. `query` runs on the
 * open transaction's connection when there is one (carried by AsyncLocalStorage, so callers pass
 * nothing), else on any pooled connection.
 */
export interface PgDatabase {
  readonly pool: pg.Pool;
  query<R = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<QueryResult<R>>;
  /**
   * Runs `fn` in a transaction: the outermost call takes a connection and commits when `fn`
   * resolves, a nested call is a savepoint, so its failure undoes only its own writes.
   * `first`, a statement without parameters, opens the outermost one, sent with its BEGIN in
   * one round trip.
   */
  transaction<T>(fn: () => Promise<T>, first?: string): Promise<T>;
  /** Whether the caller is inside a transaction. */
  inTransaction(): boolean;
  close(): Promise<void>;
}

export interface PoolOptions {
  /** Schema the connections read and write (tests give each file its own); the server's default when absent. */
  schema?: string;
  max?: number;
}

/** One level of an open transaction: the connection, the savepoint depth, and the queue its nested calls wait in. */
interface Frame {
  client: pg.PoolClient;
  depth: number;
  parent: Frame | undefined;
  /** Savepoints on one connection must nest, never interleave: nested calls under this frame run one after another. */
  tail: Promise<unknown>;
  /**
   * Set once it committed or rolled back: work it started that outlives it (a promise left
   * running) belongs to its parent, or to no transaction, and never to a connection handed back.
   */
  done: boolean;
}

const INT8 = 20;
const NUMERIC = 1700;

/**
 * Counts and ids are BIGINT and sums NUMERIC, which pg hands over as strings to be safe past
 * 2^53; every such value here (gids, seqs, times in ms, counts) stays far below it.
 */
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === INT8 || oid === NUMERIC) return (v: string) => Number(v);
    return pg.types.getTypeParser(oid, format);
  },
} as pg.CustomTypesConfig;

export const quoteIdent = (name: string) => `"${name.replaceAll('"', '""')}"`;

/**
 * pg reports a connection that ended under a query, or a query on a connection already lost,
 * without a SQLSTATE; it gets the one it is (connection_failure), so callers tell it from a
 * fault of the request (store/faults.ts answers it 503).
 */
function lostConnection(err: unknown): unknown {
  const e = err as { code?: unknown; message?: unknown } | null;
  if (e && e.code === undefined && typeof e.message === 'string' && /^(Connection terminated|Client has encountered a connection error)/.test(e.message)) e.code = '08006';
  return err;
}

export function createPgDatabase(url: string, opts: PoolOptions = {}): PgDatabase {
  const pool = new pg.Pool({
    connectionString: url,
    types,
    max: opts.max ?? 10,
    // The server splits `options` at spaces unless they are escaped with a backslash.
    ...(opts.schema ? { options: `-c search_path=${quoteIdent(opts.schema).replace(/[\\ ]/g, '\\$&')}` } : {}),
  });
  // An idle connection the server dropped (a restart, a killed backend) is removed by the pool;
  // without a listener its error would end the process.
  pool.on('error', () => {});
  const current = new AsyncLocalStorage<Frame>();
  const open = (): Frame | undefined => {
    let frame = current.getStore();
    while (frame?.done) frame = frame.parent;
    return frame;
  };
  const frameOf = (client: pg.PoolClient, parent: Frame | undefined): Frame => ({
    client,
    depth: parent ? parent.depth + 1 : 0,
    parent,
    tail: Promise.resolve(),
    done: false,
  });

  const savepoint = async <T>(outer: Frame, fn: () => Promise<T>): Promise<T> => {
    const frame = frameOf(outer.client, outer);
    const name = `sp${frame.depth}`;
    await frame.client.query(`SAVEPOINT ${name}`);
    try {
      const result = await current.run(frame, fn);
      frame.done = true;
      await frame.client.query(`RELEASE SAVEPOINT ${name}`);
      return result;
    } catch (err) {
      frame.done = true;
      try {
        await frame.client.query(`ROLLBACK TO SAVEPOINT ${name}`);
        await frame.client.query(`RELEASE SAVEPOINT ${name}`);
      } catch {
        // The connection is gone or the transaction aborted: the outer transaction fails too,
        // and the caller hears why this one failed.
      }
      throw lostConnection(err);
    }
  };

  return {
    pool,
    async query<R>(sql: string, params: readonly unknown[] = []): Promise<QueryResult<R>> {
      const runner = open()?.client ?? pool;
      try {
        const res = await runner.query(sql, params as unknown[]);
        return { rows: res.rows as R[], rowCount: res.rowCount ?? 0 };
      } catch (err) {
        throw lostConnection(err);
      }
    },
    async transaction<T>(fn: () => Promise<T>, first?: string): Promise<T> {
      const outer = open();
      if (outer) {
        const turn = outer.tail.then(() => savepoint(outer, fn));
        outer.tail = turn.catch(() => undefined);
        return turn;
      }
      const client = await pool.connect();
      const frame = frameOf(client, undefined);
      let broken: Error | undefined;
      // A connection lost while checked out reports here as well as to the query waiting on it;
      // without a listener that report would end the process. It is not handed out again.
      const lost = (err: Error) => (broken = err);
      client.on('error', lost);
      try {
        await client.query(first ? `BEGIN; ${first}` : 'BEGIN');
        const result = await current.run(frame, fn);
        frame.done = true;
        await client.query('COMMIT');
        return result;
      } catch (err) {
        frame.done = true;
        try {
          await client.query('ROLLBACK');
        } catch (rollbackErr) {
          // A connection that cannot roll back is not handed to the next caller.
          broken = rollbackErr as Error;
        }
        throw lostConnection(err);
      } finally {
        client.off('error', lost);
        client.release(broken);
      }
    },
    inTransaction: () => open() !== undefined,
    close: () => pool.end(),
  };
}
