import type { Store } from './store.ts';
import { openPostgresStore } from './postgres/open.ts';
import { SqliteStore } from './sqlite/sqlite-store.ts';

/** Whether ANALYST_DB names a PostgreSQL database rather than a SQLite file. */
export const isPostgresUrl = (url: string): boolean => /^postgres(ql)?:\/\//i.test(url);

/**
 * The store a URL names: `postgres://` (or `postgresql://`) a PostgreSQL database, several
 * replicas of the service sharing it; anything else a SQLite file path, or `:memory:` for a
 * database that lives as long as the process.
 */
export async function openStore(url: string): Promise<Store> {
  if (isPostgresUrl(url)) return openPostgresStore(url);
  return new SqliteStore(url);
}
