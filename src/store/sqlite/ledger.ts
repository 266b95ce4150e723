// The lock that keeps one server per database file, and the ledger of what it acknowledged.
import Database from 'better-sqlite3';
import { AnalystError } from '../../domain/errors.ts';

/**
 * `<db>.lock`: a small SQLite file opened in exclusive locking mode. Its lock is the operating
 * system's file lock, so it is held for as long as the server lives and released by the system
 * when the process ends in any way, a crash or SIGKILL included: no stale lock to clear by hand.
 *
 * It also keeps, per run, the last seq acknowledged to a client. It lives outside the database
 * and its write-ahead log, so if the log is damaged and SQLite drops committed transactions,
 * the next start can say which acknowledged events are gone. Written without fsync: it must
 * outlive a crash of the process, which the page cache ensures, and costs next to nothing.
 */
export class AckLedger {
  private readonly db: Database.Database;
  private readonly upsert: Database.Statement<[string, number]>;
  private readonly forget: Database.Statement<[string]>;
  /** Why the last ledger write failed, if it did: the ledger may then lag, never run ahead. */
  lastError: string | null = null;

  constructor(dbPath: string) {
    const path = `${dbPath}.lock`;
    // No waiting: a lock held by another live server will not be released in a few seconds.
    this.db = new Database(path, { timeout: 0 });
    try {
      this.db.pragma('locking_mode = EXCLUSIVE');
      this.db.pragma('journal_mode = MEMORY');
      this.db.pragma('synchronous = OFF');
      // The first write takes the exclusive lock, kept until close.
      this.db.exec('CREATE TABLE IF NOT EXISTS acknowledged (run TEXT PRIMARY KEY, seq INTEGER NOT NULL)');
    } catch (err) {
      this.db.close();
      if (/^SQLITE_BUSY/.test((err as { code?: string }).code ?? '')) {
        throw new AnalystError(
          'conflict',
          `another Training Analyst server is already using ${dbPath} (it holds ${path}); stop it first, or give this one its own --db / ANALYST_DB`,
        );
      }
      throw err;
    }
    this.upsert = this.db.prepare('INSERT INTO acknowledged (run, seq) VALUES (?, ?) ON CONFLICT (run) DO UPDATE SET seq = MAX(seq, excluded.seq)');
    this.forget = this.db.prepare('DELETE FROM acknowledged WHERE run = ?');
  }

  /**
   * Called after each commit, before its answer leaves: these seqs are now promised to clients.
   * A failure here must not turn a committed batch into an error answer (the client would send
   * it again): the ledger then lags behind, which can hide a loss but never invent one, and the
   * integrity report says the ledger was incomplete.
   */
  acknowledged(lastSeqs: Map<string, number>): void {
    try {
      this.db.transaction(() => {
        for (const [run, seq] of lastSeqs) this.upsert.run(run, seq);
      })();
    } catch (err) {
      this.lastError = (err as Error).message;
    }
  }

  forgetRun(run: string): void {
    this.forget.run(run);
  }

  all(): Array<{ run: string; seq: number }> {
    return this.db.prepare('SELECT run, seq FROM acknowledged').all() as Array<{ run: string; seq: number }>;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
