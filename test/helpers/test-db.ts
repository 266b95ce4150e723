// The engine tests run against: `ANALYST_TEST_DB=postgres` picks PostgreSQL (the server at
// `ANALYST_TEST_PG_URL`), anything else the embedded SQLite. A PostgreSQL store gets a schema of
// its own, created fresh and dropped after, so test files running at once never meet.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { isPostgresUrl, openStore } from '../../src/store/open.ts';
import { openPostgresStore } from '../../src/store/postgres/open.ts';
import { quoteIdent } from '../../src/store/postgres/pool.ts';
import type { Store } from '../../src/store/store.ts';

export type TestEngine = 'sqlite' | 'postgres';

export const TEST_ENGINE: TestEngine = process.env.ANALYST_TEST_DB === 'postgres' ? 'postgres' : 'sqlite';
export const TEST_PG_URL = process.env.ANALYST_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface TestStore {
  engine: TestEngine;
  store: Store;
  /**
   * Another store on the same database, as another replica opens it: its own pool on the same
   * schema. Undefined for SQLite, whose file one process holds at a time.
   */
  replica: (() => Promise<Store>) | undefined;
  /** Closes every store opened here and removes the database (the file, or the schema). */
  cleanup(): Promise<void>;
}

/** Why PostgreSQL tests cannot run, or undefined when the server answers. */
export async function postgresUnavailable(url = TEST_PG_URL): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return undefined;
  } catch (err) {
    return `no PostgreSQL server answers at ${url}: ${(err as Error).message}`;
  } finally {
    await client.end().catch(() => {});
  }
}

async function admin<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

async function openSqlite(): Promise<TestStore> {
  const dir = mkdtempSync(join(tmpdir(), 'analyst-store-'));
  const store = await openStore(join(dir, 'analyst.db'));
  return {
    engine: 'sqlite',
    store,
    replica: undefined,
    async cleanup() {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function openPostgres(url: string): Promise<TestStore> {
  const schema = `test_${randomUUID().replaceAll('-', '')}`;
  await admin(url, (c) => c.query(`CREATE SCHEMA ${quoteIdent(schema)}`));
  const stores: Store[] = [];
  const open = async () => {
    const store = await openPostgresStore(url, { schema });
    stores.push(store);
    return store;
  };
  try {
    return {
      engine: 'postgres',
      store: await open(),
      replica: open,
      async cleanup() {
        await Promise.all(stores.map((s) => s.close()));
        await admin(url, (c) => c.query(`DROP SCHEMA ${quoteIdent(schema)} CASCADE`));
      },
    };
  } catch (err) {
    await admin(url, (c) => c.query(`DROP SCHEMA ${quoteIdent(schema)} CASCADE`));
    throw err;
  }
}

/**
 * A fresh database for a service in another process (ANALYST_DB): a SQLite file, or a PostgreSQL
 * URL whose connections work in a schema of their own (`options=-c search_path=...`), so
 * several replicas started with it share it.
 */
export async function testDatabase(engine: TestEngine = TEST_ENGINE): Promise<{ url: string; cleanup(): Promise<void> }> {
  if (engine === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'analyst-db-'));
    return { url: join(dir, 'analyst.db'), cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  const schema = `test_${randomUUID().replaceAll('-', '')}`;
  await admin(TEST_PG_URL, (c) => c.query(`CREATE SCHEMA ${quoteIdent(schema)}`));
  const url = new URL(TEST_PG_URL);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return {
    url: url.toString(),
    async cleanup() {
      await admin(TEST_PG_URL, (c) => c.query(`DROP SCHEMA ${quoteIdent(schema)} CASCADE`));
    },
  };
}

/** A fresh, empty store of the engine chosen (ANALYST_TEST_DB unless told), with its cleanup. */
export function openTestStore(engine: TestEngine = TEST_ENGINE): Promise<TestStore> {
  return engine === 'postgres' ? openPostgres(TEST_PG_URL) : openSqlite();
}

/** A connection of its own to a database: what any other reader sees committed. */
export interface DatabaseReader {
  query<R = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<R[]>;
  close(): Promise<void>;
}

/** Opens a reader on a database (a SQLite file, or a PostgreSQL URL as testDatabase gives); `$1` parameters on both. */
export async function openReader(database: string): Promise<DatabaseReader> {
  if (!isPostgresUrl(database)) {
    const db = new Database(database, { readonly: true });
    return {
      query: async <R,>(sql: string, params: unknown[] = []) => db.prepare(sql.replace(/\$\d+/g, '?')).all(...params) as R[],
      close: async () => void db.close(),
    };
  }
  const client = new pg.Client({ connectionString: database });
  await client.connect();
  return {
    query: async <R,>(sql: string, params: unknown[] = []) => (await client.query(sql, params)).rows as R[],
    close: () => client.end(),
  };
}

/**
 * Rows each table of a database (a SQLite file, or a PostgreSQL URL as testDatabase gives) holds
 * for a run, read from the database itself: the tables keyed by the run, the webhook deliveries
 * of its alerts, and the points and summaries of its series.
 */
export async function runRows(database: string, runId: string): Promise<Record<string, number>> {
  const reader = await openReader(database);
  try {
    const out: Record<string, number> = {};
    const count = async (table: string, where: string) => {
      const [{ n }] = await reader.query<{ n: number | string }>(`SELECT COUNT(*) AS n FROM "${table}" WHERE ${where}`, [runId]);
      if (Number(n)) out[table] = Number(n);
    };
    const keyed = await reader.query<{ tbl: string; col: string }>(
      isPostgresUrl(database)
        ? `SELECT table_name AS tbl, column_name AS col FROM information_schema.columns
           WHERE table_schema = current_schema() AND column_name IN ('run', 'run_id', 'id') ORDER BY table_name`
        : `SELECT m.name AS tbl, p.name AS col FROM sqlite_master m JOIN pragma_table_info(m.name) p WHERE m.type = 'table' AND p.name IN ('run', 'run_id', 'id')`,
    );
    for (const { tbl, col } of keyed) if (col !== 'id' || tbl === 'runs') await count(tbl, `"${col}" = $1`);
    await count('webhook_deliveries', 'alert_id IN (SELECT id FROM alerts WHERE run_id = $1)');
    for (const tbl of ['samples', 'series_buckets']) await count(tbl, 'series IN (SELECT id FROM series WHERE run = $1)');
    return out;
  } finally {
    await reader.close();
  }
}
