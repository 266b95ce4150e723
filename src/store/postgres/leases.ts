import type { LeaseStore } from '../leases.ts';
import type { PgDatabase } from './pool.ts';

/** Leases in the `leases` table, taken and renewed by one atomic upsert, so two replicas never both hold one. */
export class PgLeaseStore implements LeaseStore {
  constructor(private readonly pg: PgDatabase) {}

  async acquire(name: string, holder: string, now: number, ttlMs: number): Promise<boolean> {
    const { rows } = await this.pg.query(
      `INSERT INTO leases (name, holder, expires_at) VALUES ($1, $2, $3)
       ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
       WHERE leases.holder = excluded.holder OR leases.expires_at <= $4
       RETURNING holder`,
      [name, holder, now + ttlMs, now],
    );
    return rows.length > 0;
  }

  async release(name: string, holder: string): Promise<void> {
    await this.pg.query('DELETE FROM leases WHERE name = $1 AND holder = $2', [name, holder]);
  }
}
