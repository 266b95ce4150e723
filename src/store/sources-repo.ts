// Upstream SSE subscriptions, kept in the store so that they resume (from their last event id) after a restart.
import type Database from 'better-sqlite3';
import type { Source, SourceMapping, SourceState } from '../domain/streams.ts';

/** A source as its row holds it: the structured fields as JSON text. */
type SourceRow = Omit<Source, 'headers' | 'mapping' | 'state' | 'not_read'> & { headers: string; mapping: string; state: string };

export class SourcesRepo {
  private readonly stmts;

  constructor(db: Database.Database) {
    db.exec(`CREATE TABLE IF NOT EXISTS sources (
      id TEXT PRIMARY KEY,
      url TEXT NOT NULL,
      run TEXT NOT NULL,
      headers TEXT NOT NULL,
      mapping TEXT NOT NULL,
      state TEXT NOT NULL,
      last_event_id TEXT,
      last_event_at INTEGER,
      events INTEGER NOT NULL DEFAULT 0,
      last_error TEXT,
      last_error_at INTEGER,
      retry_ms INTEGER,
      created_at INTEGER NOT NULL
    );
    CREATE TABLE IF NOT EXISTS source_not_read (
      source TEXT NOT NULL,
      kind TEXT NOT NULL,
      frames INTEGER NOT NULL,
      PRIMARY KEY (source, kind)
    )`);
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

  insert(s: Pick<Source, 'id' | 'url' | 'run' | 'headers' | 'mapping' | 'created_at'>): Source {
    this.stmts.insert.run(s.id, s.url, s.run, JSON.stringify(s.headers), JSON.stringify(s.mapping), s.created_at);
    return this.get(s.id)!;
  }

  get(id: string): Source | undefined {
    const row = this.stmts.get.get(id);
    return row && this.toSource(row);
  }

  find(url: string, run: string): Source | undefined {
    const row = this.stmts.find.get(url, run);
    return row && this.toSource(row);
  }

  all(): Source[] {
    return this.stmts.all.all().map((row) => this.toSource(row));
  }

  remove(id: string): boolean {
    this.stmts.removeNotRead.run(id);
    return this.stmts.remove.run(id).changes === 1;
  }

  /** Frames of these kinds were received and left unread. */
  notRead(id: string, kinds: Map<string, number>): void {
    for (const [kind, frames] of kinds) this.stmts.addNotRead.run(id, kind.slice(0, 200), frames);
  }

  setState(id: string, state: SourceState): void {
    this.stmts.state.run(state, id);
  }

  /** Events read from the upstream; a null id keeps the last one (the upstream sent none). */
  received(id: string, lastEventId: string | null, count: number, now: number): void {
    this.stmts.received.run(lastEventId, now, count, id);
  }

  error(id: string, message: string, now: number): void {
    this.stmts.error.run(message, now, id);
  }

  setRetry(id: string, ms: number): void {
    this.stmts.retry.run(ms, id);
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
