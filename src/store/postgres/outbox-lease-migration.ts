import type { PgDatabase } from './pool.ts';

/**
 * What the outbox needs beyond the tables in migrations.ts, to become its next version there:
 * a delivery's claim (until when another replica must leave it alone), the insertion order that
 * SQLite's rowid gives (the newest of one millisecond is listed first), and one subscription per
 * upstream URL and run however many replicas are asked for it at once.
 */
export const OUTBOX_LEASE_MIGRATION = `
  ALTER TABLE webhook_deliveries ADD COLUMN lease_until BIGINT;
  ALTER TABLE webhook_deliveries ADD COLUMN rowid BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE;
  CREATE UNIQUE INDEX sources_url_run ON sources (url, run);`;

/** Applies the step above once, under the lock migrate() holds, until it is folded into migrations.ts. */
export async function migrateOutboxLeases(db: PgDatabase): Promise<void> {
  await db.transaction(async () => {
    await db.query(`SELECT pg_advisory_xact_lock(hashtext('training-analyst migrations ' || current_schema()))`);
    const { rows } = await db.query(
      `SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'webhook_deliveries' AND column_name = 'lease_until'`,
    );
    if (!rows.length) await db.query(OUTBOX_LEASE_MIGRATION);
  });
}
