// Test fixtures of the analyst: real generated runs in a MemorySource, a real SQLite file, the real analyst.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { Registry } from 'prom-client';
import { createAnalyst } from '../../src/analyst/create.ts';
import { MemorySource } from '../../src/analyst/memory-source.ts';
import { importFile } from '../../src/ingest/files/import-file.ts';
import { loadLlmConfig } from '../../src/llm/config.ts';
import { GENERATED } from '../helpers/datasets.ts';

export { GENERATED };

/** Imports a generated run into the source under its file name; returns the run id. */
export async function loadGenerated(source: MemorySource, name: string, project?: string): Promise<string> {
  const imported = await importFile(path.join(GENERATED, `${name}.jsonl`));
  const started = { type: 'run_started' as const, name, ...(project ? { project } : {}) };
  source.add(name, [started, ...imported.events]);
  source.finish(name);
  return name;
}

export function tempDb(): Database.Database {
  const dir = mkdtempSync(path.join(tmpdir(), 'analyst-'));
  const db = new Database(path.join(dir, 'analyst.db'));
  db.pragma('journal_mode = WAL');
  return db;
}

/** The analyst as the service builds it, on a real SQLite file and its own metrics registry. */
export async function makeAnalyst(env: Record<string, string>, source = new MemorySource()) {
  const db = tempDb();
  const registry = new Registry();
  const config = loadLlmConfig({ ANALYST_LLM: 'offline', ...env });
  const { analyst, selection } = await createAnalyst({ source, db, config, registry });
  return { analyst, selection, source, db, registry, config };
}
