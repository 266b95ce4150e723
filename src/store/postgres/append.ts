import { isServiceEvent, type StoredEvent } from '../../domain/events.ts';
import { stringifyEvent } from '../../domain/values.ts';
import type { AppendResult, NewEvent } from '../store.ts';
import { numericArray } from './arrays.ts';
import { commitChannel } from './commit-feed.ts';
import type { PgDatabase } from './pool.ts';
import { SeriesBatch } from './series-writer.ts';

/**
 * Stores a batch of a run's events, in the caller's transaction (the store opens one when there
 * is none), in a handful of statements however large the batch:
 * - the run's row is locked, so batches into one run are numbered one after another whichever
 *   connection or replica writes them;
 * - idempotency keys already stored are found in one query (under that lock nothing else can
 *   store them meanwhile; the unique index stays the last word);
 * - points and their summaries go in with the series writer, the events in one INSERT of arrays,
 *   after `orderLock` (see PostgresStore.transaction): global numbers (`gid`) are taken in commit
 *   order, so a reader paging by gid never passes an event committed later with a smaller one.
 */
export async function appendEvents(db: PgDatabase, orderLock: number, run: string, events: NewEvent[], now: number): Promise<AppendResult> {
  const { rows } = await db.query<{ last_seq: number }>('SELECT last_seq FROM runs WHERE id = $1 FOR UPDATE', [run]);
  if (!rows.length) throw new Error(`run ${run} does not exist`);
  const first = rows[0].last_seq + 1;
  const keys = events.flatMap((e) => (e.event_id === undefined ? [] : [e.event_id]));
  const seen = new Set<string>();
  if (keys.length) {
    const { rows: known } = await db.query<{ event_id: string }>('SELECT event_id FROM events WHERE run = $1 AND event_id = ANY($2::text[])', [run, keys]);
    for (const r of known) seen.add(r.event_id);
  }
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
  await points.write(db, run);
  await db.query('UPDATE runs SET last_seq = $2, updated_at = $3, last_event_at = CASE WHEN $4 THEN $3 ELSE last_event_at END WHERE id = $1', [
    run,
    seq,
    now,
    fromTrainer,
  ]);
  await db.query('SELECT pg_advisory_xact_lock($1)', [orderLock]);
  const { rows: inserted } = await db.query<{ gid: number; seq: number }>(
    `INSERT INTO events (run, seq, ts, type, event_id, body)
     SELECT $1, * FROM unnest($2::bigint[], $3::float8[], $4::text[], $5::text[], $6::text[])
     ON CONFLICT (run, event_id) WHERE event_id IS NOT NULL DO NOTHING
     RETURNING gid, seq`,
    [run, numericArray(cols.seq), numericArray(cols.ts), cols.type, cols.event_id, cols.body],
  );
  if (inserted.length !== stored.length) throw new Error(`run ${run}: an idempotency key of this batch was stored by another writer meanwhile`);
  for (const r of inserted) stored[r.seq - first].gid = r.gid;
  // Heard by every replica once this transaction commits (never if it rolls back): their streams read it from the store.
  await db.query('SELECT pg_notify($1, $2)', [commitChannel(orderLock), `${run}:${seq}`]);
  return { stored, duplicates };
}
