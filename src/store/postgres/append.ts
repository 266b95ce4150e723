import { isServiceEvent, type StoredEvent } from '../../domain/events.ts';
import { stringifyEvent } from '../../domain/values.ts';
import type { AppendResult, NewEvent } from '../store.ts';
import { numericArray } from './arrays.ts';
import { commitChannel } from './commit-feed.ts';
import type { PgDatabase } from './pool.ts';
import { Params } from './run-list.ts';
import { SeriesBatch, type SeriesRow } from './series-writer.ts';

/**
 * Stores a batch of a run's events in the caller's transaction, which holds the store's write
 * lock (see PostgresStore.transaction), in a few round trips however large the batch:
 * - the run's row is read and locked with the batch's idempotency keys already stored (under the
 *   write lock nothing else can store them meanwhile; the unique index stays the last word) and
 *   the series its points go to;
 * - the series writer creates the series that are new, and reads the rows their summaries need;
 * - then one statement writes points, summaries, series lengths, the run's last seq, the events
 *   (their global numbers, `gid`, taken in commit order under the write lock, so a reader paging
 *   by gid never passes an event committed later with a smaller one) and the commit notice.
 */
export async function appendEvents(db: PgDatabase, writeLock: number, run: string, events: NewEvent[], now: number): Promise<AppendResult> {
  const keys: string[] = [];
  const names = new Set<string>();
  for (const e of events) {
    if (e.event_id !== undefined) keys.push(e.event_id);
    if (e.body.type === 'metrics') for (const name in e.body.values) names.add(name);
  }
  const { rows } = await db.query<{ last_seq: number; known: string[]; series: SeriesRow[] }>(
    `SELECT last_seq, ARRAY(SELECT event_id FROM events WHERE run = $1 AND event_id = ANY($2::text[])) AS known,
       COALESCE((SELECT json_agg(json_build_object('id', id, 'name', name, 'count', count)) FROM series WHERE run = $1 AND name = ANY($3::text[])), '[]') AS series
     FROM runs WHERE id = $1 FOR UPDATE`,
    [run, keys, [...names]],
  );
  if (!rows.length) throw new Error(`run ${run} does not exist`);
  const first = rows[0].last_seq + 1;
  const seen = new Set<string>(rows[0].known);
  let seq = first - 1;
  let duplicates = 0;
  let fromTrainer = false;
  const stored: StoredEvent[] = [];
  const cols = { seq: [] as number[], ts: [] as number[], type: [] as string[], event_id: [] as Array<string | null>, body: [] as string[] };
  const points = new SeriesBatch();
  for (const e of events) {
    if (e.event_id !== undefined) {
      if (seen.has(e.event_id)) {
        duplicates++;
        continue;
      }
      seen.add(e.event_id);
    }
    seq++;
    const body = e.body;
    cols.seq.push(seq);
    cols.ts.push(e.ts);
    cols.type.push(body.type);
    cols.event_id.push(e.event_id ?? null);
    cols.body.push(stringifyEvent(body));
    if (body.type === 'metrics') {
      const step = body.step ?? null;
      const epoch = body.epoch ?? null;
      for (const name in body.values) points.add(name, step, epoch, body.values[name], e.ts, seq);
    }
    // What the service writes itself (findings, control requests) is no sign of the trainer's life.
    if (!isServiceEvent(body)) fromTrainer = true;
    // The body becomes the stored event in place, as in the SQLite engine; its gid is set below.
    const event = Object.assign(body, { run, seq, gid: 0, ts: e.ts }) as StoredEvent;
    if (e.event_id !== undefined) event.event_id = e.event_id;
    stored.push(event);
  }
  if (!stored.length) return { stored, duplicates };
  const p = new Params();
  const $run = p.add(run);
  const series = await points.prepare(db, run, rows[0].series, p);
  // The bodies travel as one text, split by the server (JSON holds no raw newline): as an array
  // parameter, every quote in them would be escaped on the way and unescaped on arrival.
  const { rows: inserted } = await db.query<{ gid: number; seq: number }>(
    `WITH ${[
      ...series,
      `last AS (UPDATE runs SET last_seq = ${p.add(seq)}, updated_at = ${p.add(now)}, last_event_at = CASE WHEN ${p.add(fromTrainer)} THEN ${p.add(now)}::bigint ELSE last_event_at END WHERE id = ${$run})`,
      `stored AS (
         INSERT INTO events (run, seq, ts, type, event_id, body)
         SELECT ${$run}, * FROM unnest(${p.add(numericArray(cols.seq))}::bigint[], ${p.add(numericArray(cols.ts))}::float8[],
           ${p.add(cols.type)}::text[], ${p.add(cols.event_id)}::text[], string_to_array(${p.add(cols.body.join('\n'))}, E'\\n'))
         ON CONFLICT (run, event_id) WHERE event_id IS NOT NULL DO NOTHING
         RETURNING gid, seq)`,
      // Heard by every replica once this transaction commits (never if it rolls back): their streams read it from the store.
      `heard AS (SELECT pg_notify(${p.add(commitChannel(writeLock))}, ${p.add(`${run}:${seq}`)}))`,
    ].join(',\n')}
     SELECT gid, seq FROM stored, heard`,
    p.values,
  );
  if (inserted.length !== stored.length) throw new Error(`run ${run}: an idempotency key of this batch was stored by another writer meanwhile`);
  for (const r of inserted) stored[r.seq - first].gid = r.gid;
  return { stored, duplicates };
}
