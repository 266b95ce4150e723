// A database file that cannot be migrated is let go whole: no handle, lock or write-ahead log is left behind.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, expect, it } from 'vitest';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

it('closes the database and releases its lock when a migration fails, so the file can be opened again', () => {
  const dir = mkdtempSync(join(tmpdir(), 'analyst-open-'));
  dirs.push(dir);
  const path = join(dir, 'analyst.db');
  // A file that claims the first schema version but has none of its tables: the next migration fails.
  const broken = new Database(path);
  broken.pragma('user_version = 1');
  broken.close();
  expect(() => new SqliteStore(path)).toThrow();
  // SQLite removes the write-ahead log when its last connection closes.
  expect(existsSync(`${path}-wal`)).toBe(false);
  // The lock is free: a fresh start on a repaired file succeeds.
  rmSync(path);
  const store = new SqliteStore(path);
  store.close();
});
