import type { Store } from './store.ts';
import { SqliteStore } from './sqlite/sqlite-store.ts';

/** The store a URL names: a SQLite file path, or `:memory:` for a database that lives as long as the process. */
export async function openStore(url: string): Promise<Store> {
  return new SqliteStore(url);
}
