// Test fixtures of the analyst: real generated runs in a MemorySource, a store on a real SQLite file, the real analyst.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Registry } from 'prom-client';
import { createAnalyst } from '../../src/analyst/create.ts';
import { MemorySource } from '../../src/analyst/memory-source.ts';
import { importFile } from '../../src/ingest/files/import-file.ts';
import { loadLlmConfig } from '../../src/llm/config.ts';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
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

/** The path of a database file in a new temporary folder. */
export function tempDbPath(): string {
  return path.join(mkdtempSync(path.join(tmpdir(), 'analyst-')), 'analyst.db');
}

/** The analyst as the service builds it, on a real SQLite file and its own metrics registry. */
export async function makeAnalyst(env: Record<string, string>, source = new MemorySource()) {
  const store = new SqliteStore(tempDbPath());
  const registry = new Registry();
  const config = loadLlmConfig({ ANALYST_LLM: 'offline', ...env });
  const { analyst, selection } = await createAnalyst({ source, store, config, registry });
  return { analyst, selection, source, store, registry, config };
}
