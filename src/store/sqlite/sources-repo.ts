import type { Source, SourceMapping, SourceState } from '../../domain/streams.ts';
import type { SourceStore } from '../sources.ts';
import type { SqliteConnection } from './connection.ts';

/** A source as its row holds it: the structured fields as JSON text. */
type SourceRow = Omit<Source, 'headers' | 'mapping' | 'state' | 'not_read'> & { headers: string; mapping: string; state: string };

/** Upstream SSE subscriptions in SQLite. */
export class SourcesRepo implements SourceStore {
  private readonly stmts;

  constructor(private readonly conn: SqliteConnection) {
    const { db } = conn;
    this.stmts = {
      insert: db.prepare<[string, string, string, string, string, number]>(
        `INSERT INTO sources (id, url, run, headers, mapping, state, created_at) VALUES (?, ?, ?, ?, ?, 'connecting', ?)`,
      ),
      get: db.prepare<[string], SourceRow>('SELECT * FROM sources WHERE id = ?'),
      find: db.prepare<[string, string], SourceRow>('SELECT * FROM sources WHERE url = ? AND run = ?'),
      all: db.prepare<[], SourceRow>('SELECT * FROM sources ORDER BY created_at, id'),
      remove: db.prepare<[string]>('DELETE FROM sources WHERE id = ?'),
      removeNotRead: db.prepare<[string]>('DELETE FROM source_not_read WHERE source = ?'),
      notRead: db.prepare<[string], { kind: string; frames: number }>('SELECT kind, frames FROM source_not_read WHERE source = ? ORDER BY kind'),
      addNotRead: db.prepare<[string, string, number]>(
        `INSERT INTO source_not_read (source, kind, frames) VALUES (?, ?, ?)
         ON CONFLICT (source, kind) DO UPDATE SET frames = frames + excluded.frames`,
      ),
      state: db.prepare<[string, string]>('UPDATE sources SET state = ? WHERE id = ?'),
      received: db.prepare<[string | null, number, number, string]>(
        'UPDATE sources SET last_event_id = COALESCE(?, last_event_id), last_event_at = ?, events = events + ? WHERE id = ?',
      ),
      error: db.prepare<[string, number, string]>('UPDATE sources SET last_error = ?, last_error_at = ? WHERE id = ?'),
      retry: db.prepare<[number, string]>('UPDATE sources SET retry_ms = ? WHERE id = ?'),
    };
  }

  async insert(s: Pick<Source, 'id' | 'url' | 'run' | 'headers' | 'mapping' | 'created_at'>): Promise<Source> {
    await this.conn.write(() => this.stmts.insert.run(s.id, s.url, s.run, JSON.stringify(s.headers), JSON.stringify(s.mapping), s.created_at));
    return (await this.get(s.id))!;
  }

  async get(id: string): Promise<Source | undefined> {
    const row = this.stmts.get.get(id);
    return row && this.toSource(row);
  }

  async find(url: string, run: string): Promise<Source | undefined> {
    const row = this.stmts.find.get(url, run);
    return row && this.toSource(row);
  }

  async all(): Promise<Source[]> {
    return this.stmts.all.all().map((row) => this.toSource(row));
  }

  remove(id: string): Promise<boolean> {
    return this.conn.write(() => {
      this.stmts.removeNotRead.run(id);
      return this.stmts.remove.run(id).changes === 1;
    });
  }

  async notRead(id: string, kinds: Map<string, number>): Promise<void> {
    await this.conn.write(() => {
      for (const [kind, frames] of kinds) this.stmts.addNotRead.run(id, kind.slice(0, 200), frames);
    });
  }

  async setState(id: string, state: SourceState): Promise<void> {
    await this.conn.write(() => this.stmts.state.run(state, id));
  }

  async received(id: string, lastEventId: string | null, count: number, now: number): Promise<void> {
    await this.conn.write(() => this.stmts.received.run(lastEventId, now, count, id));
  }

  async error(id: string, message: string, now: number): Promise<void> {
    await this.conn.write(() => this.stmts.error.run(message, now, id));
  }

  async setRetry(id: string, ms: number): Promise<void> {
    await this.conn.write(() => this.stmts.retry.run(ms, id));
  }

  private toSource(row: SourceRow): Source {
    return {
      ...row,
      state: row.state as SourceState,
      headers: JSON.parse(row.headers) as Record<string, string>,
      mapping: JSON.parse(row.mapping) as SourceMapping,
      not_read: Object.fromEntries(this.stmts.notRead.all(row.id).map((r) => [r.kind, r.frames])),
    };
  }
}
