import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { artifactsRoot, loadConfig } from '../../src/service/config.ts';

const root = (env: Record<string, string>) => artifactsRoot(loadConfig(env));

describe('the artifact folder', () => {
  it('sits beside a SQLite database file', () => {
    expect(root({ ANALYST_DB: '/srv/analyst/analyst.db' })).toBe(path.join('/srv/analyst', 'artifacts'));
    expect(root({})).toBe(path.join('data', 'artifacts'));
  });

  it('is ./data/artifacts for a PostgreSQL database, which has no folder to sit beside', () => {
    expect(root({ ANALYST_DB: 'postgres://analyst@db.internal:5432/analyst' })).toBe(path.join('data', 'artifacts'));
    expect(root({ ANALYST_DB: 'postgresql://analyst@db.internal/analyst' })).toBe(path.join('data', 'artifacts'));
  });

  it('is the folder set, on either engine', () => {
    expect(root({ ANALYST_DB: '/srv/analyst/analyst.db', ANALYST_ARTIFACTS_DIR: '/mnt/shared/artifacts' })).toBe('/mnt/shared/artifacts');
    expect(root({ ANALYST_DB: 'postgres://analyst@db.internal/analyst', ANALYST_ARTIFACTS_DIR: '/mnt/shared/artifacts' })).toBe('/mnt/shared/artifacts');
  });

  it('falls back to the default when the setting is left empty, as .env.example leaves it', () => {
    expect(root({ ANALYST_DB: 'postgres://analyst@db.internal/analyst', ANALYST_ARTIFACTS_DIR: '' })).toBe(path.join('data', 'artifacts'));
  });
});
