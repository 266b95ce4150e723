import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { dataSets } from '../../eval/datasets.ts';
import { halfOf } from '../../eval/split.ts';

const SPLIT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../eval/split.tsv');

describe('the tune / check split', () => {
  const written = readFileSync(SPLIT, 'utf8').trim().split('\n').slice(1).map((l) => l.split('\t'));

  it('is the fixed hash of each run source, as written down in eval/split.tsv', () => {
    for (const [, , source, half] of written) expect(halfOf(source), source).toBe(half);
  });

  it('keeps every run of one source in one half, and both halves in use', () => {
    const halves = new Set(written.map((r) => r[3]));
    expect(halves).toEqual(new Set(['tune', 'check']));
    const bySource = new Map<string, Set<string>>();
    for (const [, , source, half] of written) bySource.set(source, (bySource.get(source) ?? new Set()).add(half));
    for (const [source, hs] of bySource) expect(hs.size, source).toBe(1);
  });

  it('lists every labelled run of the data sets present', () => {
    const listed = new Set(written.map(([set, run]) => `${set}/${run}`));
    for (const set of dataSets()) for (const run of set.runs) expect(listed.has(`${set.name}/${run.name}`), `${set.name}/${run.name}`).toBe(true);
  });
});
