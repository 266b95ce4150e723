// Upstream SSE subscriptions in PostgreSQL, so that they resume (from their last event id) after a restart.
import type { Source, SourceMapping, SourceState } from '../../domain/streams.ts';
import type { SourceStore } from '../sources.ts';
import type { PgDatabase } from './pool.ts';

/** A source as its row holds it: the structured fields as JSON text, the unread frames gathered by kind. */
type SourceRow = Omit<Source, 'headers' | 'mapping' | 'state' | 'not_read'> & { headers: string; mapping: string; state: string; not_read: Record<string, number> | null };

const SELECT = `SELECT s.id, s.url, s.run, s.headers, s.mapping, s.state, s.last_event_id, s.last_event_at, s.events, s.last_error,
    s.last_error_at, s.retry_ms, s.created_at,
    (SELECT json_object_agg(n.kind, n.frames ORDER BY n.kind COLLATE "C") FROM source_not_read n WHERE n.source = s.id) AS not_read
  FROM sources s`;

const toSource = (row: SourceRow): Source => ({
  ...row,
  state: row.state as SourceState,
  headers: JSON.parse(row.headers) as Record<string, string>,
  mapping: JSON.parse(row.mapping) as SourceMapping,
  not_read: row.not_read ?? {},
});

export class PgSourceStore implements SourceStore {
  constructor(private readonly pg: PgDatabase) {}

  async insert(s: Pick<Source, 'id' | 'url' | 'run' | 'headers' | 'mapping' | 'created_at'>): Promise<Source> {
    await this.pg.query(`INSERT INTO sources (id, url, run, headers, mapping, state, created_at) VALUES ($1, $2, $3, $4, $5, 'connecting', $6)`, [
      s.id,
      s.url,
      s.run,
      JSON.stringify(s.headers),
      JSON.stringify(s.mapping),
      s.created_at,
    ]);
    return (await this.get(s.id))!;
  }

  async get(id: string): Promise<Source | undefined> {
    const { rows } = await this.pg.query<SourceRow>(`${SELECT} WHERE s.id = $1`, [id]);
    return rows[0] && toSource(rows[0]);
  }

  async find(url: string, run: string): Promise<Source | undefined> {
    const { rows } = await this.pg.query<SourceRow>(`${SELECT} WHERE s.url = $1 AND s.run = $2`, [url, run]);
    return rows[0] && toSource(rows[0]);
  }

  async all(): Promise<Source[]> {
    const { rows } = await this.pg.query<SourceRow>(`${SELECT} ORDER BY s.created_at, s.id COLLATE "C"`);
    return rows.map(toSource);
  }

  async remove(id: string): Promise<boolean> {
    return this.pg.transaction(async () => {
      await this.pg.query('DELETE FROM source_not_read WHERE source = $1', [id]);
      const { rowCount } = await this.pg.query('DELETE FROM sources WHERE id = $1', [id]);
      return rowCount === 1;
    });
  }

  /** Frames of these kinds were received and left unread. */
  async notRead(id: string, kinds: Map<string, number>): Promise<void> {
    // Kinds are cut to a bounded length, so two long ones may become one: summed before the upsert,
    // which may touch each row only once.
    const frames = new Map<string, number>();
    for (const [kind, n] of kinds) frames.set(kind.slice(0, 200), (frames.get(kind.slice(0, 200)) ?? 0) + n);
    if (!frames.size) return;
    await this.pg.query(
      `INSERT INTO source_not_read (source, kind, frames) SELECT $1, kind, frames FROM unnest($2::text[], $3::bigint[]) AS t (kind, frames)
       ON CONFLICT (source, kind) DO UPDATE SET frames = source_not_read.frames + excluded.frames`,
      [id, [...frames.keys()], [...frames.values()]],
    );
  }

  async setState(id: string, state: SourceState): Promise<void> {
    await this.pg.query('UPDATE sources SET state = $1 WHERE id = $2', [state, id]);
  }

  /** Events read from the upstream; a null id keeps the last one (the upstream sent none). */
  async received(id: string, lastEventId: string | null, count: number, now: number): Promise<void> {
    await this.pg.query('UPDATE sources SET last_event_id = COALESCE($1, last_event_id), last_event_at = $2, events = events + $3 WHERE id = $4', [
      lastEventId,
      now,
      count,
      id,
    ]);
  }

  async error(id: string, message: string, now: number): Promise<void> {
    await this.pg.query('UPDATE sources SET last_error = $1, last_error_at = $2 WHERE id = $3', [message, now, id]);
  }

  async setRetry(id: string, ms: number): Promise<void> {
    await this.pg.query('UPDATE sources SET retry_ms = $1 WHERE id = $2', [ms, id]);
  }
}
