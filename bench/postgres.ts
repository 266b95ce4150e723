import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { stringifyEvent } from '../src/domain/values.ts';
import { migrate } from '../src/store/postgres/migrations.ts';
import { createPgDatabase, quoteIdent } from '../src/store/postgres/pool.ts';
import { startChildServer, type ChildServer } from '../test/helpers/child-server.ts';
import { BATCH, createRun, makeBatch, METRICS, runWorker } from './harness.ts';
import { median, POSTER, restIngestRate } from './ingest.ts';

/** The server the PostgreSQL figures are taken on: ANALYST_BENCH_PG, else the local one when it answers. */
export async function benchPostgresUrl(): Promise<string | undefined> {
  const url = process.env.ANALYST_BENCH_PG ?? 'postgres://postgres@127.0.0.1:5432/test';
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    return url;
  } catch (err) {
    // Asked for by name, a server that does not answer is an error, not a figure left out.
    if (process.env.ANALYST_BENCH_PG) throw err;
    return undefined;
  } finally {
    await client.end().catch(() => {});
  }
}

async function admin(url: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** A fresh schema for one measurement, as a URL every connection (and every service instance) works in; dropped after. */
async function withSchema<T>(url: string, fn: (schema: string, schemaUrl: string) => Promise<T>): Promise<T> {
  const schema = `bench_${randomUUID().replaceAll('-', '')}`;
  await admin(url, `CREATE SCHEMA ${quoteIdent(schema)}`);
  const scoped = new URL(url);
  scoped.searchParams.set('options', `-c search_path=${schema}`);
  try {
    return await fn(schema, scoped.toString());
  } finally {
    await admin(url, `DROP SCHEMA ${quoteIdent(schema)} CASCADE`);
  }
}

/**
 * The ceiling: the same rows the service writes for a batch (events, points, series lengths, the
 * run's last seq; without the summaries) in the service's own tables and indexes, in one
 * statement of arrays per batch, which is its own transaction: one round trip, one commit.
 */
function rawInsertRate(url: string, batches: number): Promise<number> {
  return withSchema(url, async (schema) => {
    const db = createPgDatabase(url, { schema, max: 1 });
    try {
      await migrate(db);
      const run = randomUUID().replaceAll('-', '');
      await db.query(`INSERT INTO runs (id, project, name, status, created_at, updated_at) VALUES ($1, 'p', 'n', 'running', 0, 0)`, [run]);
      const { rows: series } = await db.query<{ id: number }>('INSERT INTO series (run, name) SELECT $1, unnest($2::text[]) RETURNING id', [run, METRICS]);
      const data = Array.from({ length: batches }, (_, b) => makeBatch(b));
      const now = Date.now();
      let seq = 0;
      const started = performance.now();
      for (const batch of data) {
        const ev = { seq: [] as number[], body: [] as string[] };
        const pt = { series: [] as number[], i: [] as number[], step: [] as number[], value: [] as number[], seq: [] as number[] };
        for (const e of batch) {
          seq++;
          ev.seq.push(seq);
          ev.body.push(stringifyEvent(e));
          METRICS.forEach((name, m) => {
            pt.series.push(series[m].id);
            pt.i.push(seq - 1);
            pt.step.push(e.step);
            pt.value.push(e.values[name]);
            pt.seq.push(seq);
          });
        }
        await db.query(
          `WITH e AS (
             INSERT INTO events (run, seq, ts, type, body) SELECT $1, s, $2, 'metrics', b FROM unnest($3::bigint[], $4::text[]) AS x(s, b)
           ), p AS (
             INSERT INTO samples (series, i, step, value, ts, seq)
             SELECT s, i, st, v, $2, q FROM unnest($5::bigint[], $6::bigint[], $7::float8[], $8::float8[], $9::bigint[]) AS x(s, i, st, v, q)
           ), c AS (
             UPDATE series SET count = $10 WHERE run = $1
           )
           UPDATE runs SET last_seq = $10 WHERE id = $1`,
          [run, now, ev.seq, ev.body, pt.series, pt.i, pt.step, pt.value, pt.seq, seq],
        );
      }
      return (batches * BATCH * METRICS.length) / ((performance.now() - started) / 1000);
    } finally {
      await db.close();
    }
  });
}

/** The service on a fresh schema: REST batches acknowledged after commit, as for SQLite. */
const serviceRate = (url: string, batches: number) => withSchema(url, (_, schemaUrl) => restIngestRate(batches, schemaUrl));

/**
 * The same batches spread over `replicas` service processes sharing one schema (`analyst serve`,
 * each on its own port, as replicas behind a load balancer), one trainer per replica with a run
 * of its own, all posting at once: points/s over the time until the last is acknowledged.
 */
function replicatedRate(url: string, batches: number, replicas: number): Promise<number> {
  return withSchema(url, async (_, schemaUrl) => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-replicas-'));
    const servers: ChildServer[] = [];
    try {
      for (let i = 0; i < replicas; i++) servers.push(await startChildServer(schemaUrl, { ANALYST_ARTIFACTS_DIR: join(dir, 'artifacts') }));
      const runs = await Promise.all(servers.map((s, i) => createRun(s.url, `bench-${i}`)));
      const share = Math.ceil(batches / replicas);
      const jobs = servers.map((s, i) => ({
        url: `${s.url}/runs/${runs[i]}/events`,
        bodies: Array.from({ length: Math.min(share, batches - i * share) }, (_, b) => JSON.stringify({ events: makeBatch(b) })),
      }));
      const started = performance.now();
      await Promise.all(jobs.map((job) => runWorker<number>(POSTER, job)));
      return (batches * BATCH * METRICS.length) / ((performance.now() - started) / 1000);
    } finally {
      for (const s of servers) await s.kill('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

/**
 * Rounds alternate ceiling, one service and three replica processes, so that noise hits all alike; figures are
 * medians, the ratio the median of the per-round ratios.
 */
export async function benchPostgresIngest(url: string, batches = 60, rounds = 5) {
  await rawInsertRate(url, 3);
  await serviceRate(url, 3);
  const ceilings: number[] = [];
  const services: number[] = [];
  const ratios: number[] = [];
  const replicated: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const ceiling = await rawInsertRate(url, batches);
    const service = await serviceRate(url, batches);
    ceilings.push(ceiling);
    services.push(service);
    ratios.push(service / ceiling);
    replicated.push(await replicatedRate(url, batches, 3));
  }
  return { ceiling_points_per_s: median(ceilings), rest_points_per_s: median(services), ratio: median(ratios), three_replicas_points_per_s: median(replicated) };
}
