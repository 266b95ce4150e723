import pg from 'pg';
import type { CommitFeed } from '../store.ts';
import type { PgDatabase } from './pool.ts';

/** How long a lost LISTEN connection waits before it is opened again. */
const RECONNECT_MS = 1000;

/** The channel a store's commits are announced on: one per schema, as the write lock is. */
export const commitChannel = (writeLock: number) => `analyst_events_${writeLock >>> 0}`;

/**
 * Commits of every replica on the same schema, heard on a connection of its own: appendEvents
 * sends a NOTIFY in the ingest transaction, which PostgreSQL delivers only once it commits.
 * A connection that drops is opened again, and the listener is called once it is back: what
 * was committed meanwhile is then read from the store, so nothing is missed while deaf.
 */
export class PgCommitFeed implements CommitFeed {
  private client: pg.Client | undefined;
  private retry: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly db: PgDatabase,
    private readonly channel: string,
  ) {}

  async listen(onCommit: () => void): Promise<void> {
    await this.connect(onCommit);
  }

  private async connect(onCommit: () => void): Promise<void> {
    const client = new pg.Client(this.db.pool.options);
    const lost = () => {
      if (this.client !== client || this.stopped) return;
      this.client = undefined;
      client.end().catch(() => {});
      this.retry = setTimeout(() => this.reconnect(onCommit), RECONNECT_MS);
    };
    client.on('error', lost);
    client.on('end', lost);
    client.on('notification', () => onCommit());
    this.client = client;
    try {
      await client.connect();
      await client.query(`LISTEN "${this.channel}"`);
    } catch (err) {
      if (this.client === client) this.client = undefined;
      client.end().catch(() => {});
      throw err;
    }
  }

  private reconnect(onCommit: () => void): void {
    this.retry = undefined;
    if (this.stopped) return;
    this.connect(onCommit).then(onCommit, () => {
      // Still unreachable (unless the lost connection's own error already scheduled the next try).
      if (!this.retry && !this.stopped) this.retry = setTimeout(() => this.reconnect(onCommit), RECONNECT_MS);
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retry);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => {});
  }
}
