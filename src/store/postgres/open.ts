import { migrate, SCHEMA_VERSION } from './migrations.ts';
import { createPgDatabase } from './pool.ts';
import { PostgresStore } from './postgres-store.ts';

export interface PostgresStoreOptions {
  /** The schema to keep the tables in (it must exist); the connection's default search path when absent. */
  schema?: string;
  /** Connections in the pool. */
  max?: number;
}

/**
 * Opens the PostgreSQL engine at `url` (`postgres://user@host:5432/db`): a pool, the schema
 * migrated forward, and the start-up check, which here is that the schema is one this code knows.
 */
export async function openPostgresStore(url: string, opts: PostgresStoreOptions = {}): Promise<PostgresStore> {
  const db = createPgDatabase(url, opts);
  try {
    const version = await migrate(db);
    const problems = version > SCHEMA_VERSION ? [`the database schema is at version ${version}, newer than this release knows (${SCHEMA_VERSION})`] : [];
    const { rows } = await db.query<{ key: number }>(`SELECT hashtext('training-analyst writes ' || current_schema()) AS key`);
    return new PostgresStore(db, rows[0].key, problems);
  } catch (err) {
    await db.close();
    throw err;
  }
}
