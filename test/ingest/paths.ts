// Where the shared datasets live: ../shared/datasets from the repo root, here and in CI.
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
