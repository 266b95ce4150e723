// The stores of the table-keeping modules on each engine, fresh for every test: a SQLite file of
// its own, or a PostgreSQL schema of its own on the local server, with a second replica on it.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
import type { Store } from '../../src/store/store.ts';
import { migrate } from '../../src/store/postgres/migrations.ts';
import type { PgDatabase } from '../../src/store/postgres/pool.ts';
import { createPgDatabase, quoteIdent } from '../../src/store/postgres/pool.ts';
import { PgOutboxStore } from '../../src/store/postgres/outbox.ts';
import { PgWebhookStore } from '../../src/store/postgres/webhooks.ts';
import { PgUsageStore } from '../../src/store/postgres/usage.ts';
import { PgSuggestionStore } from '../../src/store/postgres/suggestions.ts';
import { PgSourceStore } from '../../src/store/postgres/sources.ts';
import { PgControlStore } from '../../src/store/postgres/control.ts';
import { PgExperimentStore } from '../../src/store/postgres/experiments.ts';
import { PgLoggedModelStore } from '../../src/store/postgres/logged-models.ts';
import { PgMlflowMetricStore } from '../../src/store/postgres/mlflow-metrics.ts';

export const PG_URL = process.env.ANALYST_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';

export type ModuleStores = Pick<
  Store,
  'outbox' | 'webhooks' | 'usage' | 'suggestions' | 'sources' | 'control' | 'experiments' | 'loggedModels' | 'mlflowMetrics' | 'transaction'
>;

/** One metric value as a run's series keeps it. */
export interface Sample {
  step: number | null;
  value: number | null;
  ts: number;
  seq: number;
}

export interface OpenEngine {
  stores: ModuleStores;
  /** A run row, for the modules that reach into runs (renaming an experiment renames its project). */
  addRun(id: string, project: string): Promise<void>;
  projectOf(run: string): Promise<string | undefined>;
  /** A run's series of one metric, in the order logged. */
  addSamples(run: string, name: string, samples: Sample[]): Promise<void>;
  close(): Promise<void>;
}

export interface Engine {
  name: 'sqlite' | 'postgres';
  open(): Promise<OpenEngine>;
}

export function pgModuleStores(db: PgDatabase, leaseMs?: number): ModuleStores {
  return {
    outbox: new PgOutboxStore(db, leaseMs),
    webhooks: new PgWebhookStore(db),
    usage: new PgUsageStore(db),
    suggestions: new PgSuggestionStore(db),
    sources: new PgSourceStore(db),
    control: new PgControlStore(db),
    experiments: new PgExperimentStore(db),
    loggedModels: new PgLoggedModelStore(db),
    mlflowMetrics: new PgMlflowMetricStore(db),
    transaction: (fn) => db.transaction(fn),
  };
}

/** A PostgreSQL schema of its own, migrated, and the pools of the replicas opened on it. */
export interface PgSchema {
  name: string;
  /** Another replica: a pool of its own on the same schema. */
  connect(): PgDatabase;
  drop(): Promise<void>;
}

export async function createPgSchema(): Promise<PgSchema> {
  const name = `modules_${randomUUID().replaceAll('-', '')}`;
  const admin = createPgDatabase(PG_URL, { max: 1 });
  await admin.query(`CREATE SCHEMA ${quoteIdent(name)}`);
  const pools: PgDatabase[] = [];
  const connect = () => {
    const db = createPgDatabase(PG_URL, { schema: name, max: 4 });
    pools.push(db);
    return db;
  };
  const first = connect();
  await migrate(first);
  return {
    name,
    connect,
    async drop() {
      await Promise.all(pools.map((p) => p.close()));
      await admin.query(`DROP SCHEMA ${quoteIdent(name)} CASCADE`);
      await admin.close();
    },
  };
}

const postgres: Engine = {
  name: 'postgres',
  async open() {
    const schema = await createPgSchema();
    const db = schema.connect();
    return {
      stores: pgModuleStores(db),
      async addRun(id, project) {
        await db.query(`INSERT INTO runs (id, project, name, status, created_at, updated_at) VALUES ($1, $2, $1, 'running', 0, 0)`, [id, project]);
      },
      async projectOf(run) {
        const { rows } = await db.query<{ project: string }>('SELECT project FROM runs WHERE id = $1', [run]);
        return rows[0]?.project;
      },
      async addSamples(run, name, samples) {
        const { rows } = await db.query<{ id: number }>('INSERT INTO series (run, name, count) VALUES ($1, $2, $3) RETURNING id', [run, name, samples.length]);
        for (const [i, s] of samples.entries()) {
          await db.query('INSERT INTO samples (series, i, step, value, ts, seq) VALUES ($1, $2, $3, $4, $5, $6)', [rows[0]!.id, i, s.step, s.value, s.ts, s.seq]);
        }
      },
      close: () => schema.drop(),
    };
  },
};

const sqlite: Engine = {
  name: 'sqlite',
  async open() {
    const dir = mkdtempSync(path.join(tmpdir(), 'analyst-modules-'));
    const store = new SqliteStore(path.join(dir, 'analyst.db'));
    const { db } = store;
    return {
      stores: store,
      async addRun(id, project) {
        db.prepare(`INSERT INTO runs (id, project, name, status, created_at, updated_at) VALUES (?, ?, ?, 'running', 0, 0)`).run(id, project, id);
      },
      async projectOf(run) {
        return (db.prepare('SELECT project FROM runs WHERE id = ?').get(run) as { project: string } | undefined)?.project;
      },
      async addSamples(run, name, samples) {
        const series = db.prepare('INSERT INTO series (run, name, count) VALUES (?, ?, ?)').run(run, name, samples.length).lastInsertRowid;
        const insert = db.prepare('INSERT INTO samples (series, i, step, value, ts, seq) VALUES (?, ?, ?, ?, ?, ?)');
        for (const [i, s] of samples.entries()) insert.run(series, i, s.step, s.value, s.ts, s.seq);
      },
      async close() {
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
};

export const ENGINES: Engine[] = [sqlite, postgres];
