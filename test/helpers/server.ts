import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, type RunningServer } from '../../src/http/server.ts';
import { loadConfig } from '../../src/service/config.ts';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
import { TEST_ENGINE, testDatabase, type TestEngine } from './test-db.ts';

export interface TestServer extends RunningServer {
  dir: string;
  db: string;
  stop(): Promise<void>;
}

/**
 * The real server on an ephemeral loopback port, on the test engine (test-db.ts) unless told: a
 * real SQLite file in a temp dir, or a PostgreSQL schema of its own; artifacts in the temp dir either way.
 */
export async function testServer(env: Record<string, string> = {}, engine: TestEngine = TEST_ENGINE): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), 'analyst-test-'));
  const database = engine === 'postgres' ? await testDatabase('postgres') : undefined;
  const db = database?.url ?? join(dir, 'analyst.db');
  const config = loadConfig(
    { ANALYST_LOG_LEVEL: 'silent', ANALYST_ARTIFACTS_DIR: join(dir, 'artifacts'), ...env },
    { ANALYST_DB: db, ANALYST_PORT: 0, ANALYST_HOST: '127.0.0.1' },
  );
  // The offline analyst unless a test asks for another: no test may depend on a model being around.
  const server = await startServer(config, { ...process.env, ANALYST_LLM: 'offline', ...env });
  return {
    ...server,
    dir,
    db,
    stop: async () => {
      await server.close();
      await database?.cleanup();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The SQLite store under a test server, for tests of what the embedded engine does with its file. */
export function sqliteStore(server: RunningServer): SqliteStore {
  const { store } = server.service;
  if (!(store instanceof SqliteStore)) throw new Error('this test reads the SQLite file itself');
  return store;
}

export async function api<T = any>(base: string, path: string, init: RequestInit & { json?: unknown } = {}): Promise<{ status: number; body: T }> {
  const headers = new Headers(init.headers);
  let body = init.body;
  if (init.json !== undefined) {
    body = JSON.stringify(init.json);
    headers.set('content-type', 'application/json');
  }
  const res = await fetch(`${base}${path}`, { ...init, headers, body });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}
