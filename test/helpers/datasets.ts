// Where the shared datasets live: ../shared/datasets beside the repo root, here and in CI's clone.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

export const DATASETS = path.resolve(here, '../../../shared/datasets');
export const REAL_LOGS = path.join(DATASETS, 'real-logs');
export const GENERATED = path.join(DATASETS, 'generated-runs');
export const FIXTURES = path.resolve(here, '../fixtures');

export function realLog(name: string, file: string): string {
  return path.join(REAL_LOGS, name, file);
}

/** The rows of a data set's expected.tsv: run name, label, and the finding kinds that count as right. */
export function expectedRows(dir: string): Array<{ name: string; label: string; accepted: string[] }> {
  return readFileSync(path.join(dir, 'expected.tsv'), 'utf8')
    .split('\n')
    .slice(1)
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const [name, label, accepted] = l.split('\t');
      return { name, label, accepted: accepted ? accepted.split(',') : [] };
    });
}
