import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createReader } from '../../src/ingest/files/formats.ts';
import { ReadTally } from '../../src/ingest/files/read-tally.ts';
import { readJsonlInParallel } from '../../src/ingest/files/jsonl-parallel.ts';
import { GENERATED } from '../helpers/datasets.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'jsonl-parallel-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function serial(file: string) {
  const reader = createReader('jsonl');
  const events = [...reader.push(readFileSync(file)), ...reader.end()];
  return { events, read: reader.tally.report('jsonl') };
}

function parallel(file: string, headBytes?: number) {
  const tally = new ReadTally();
  const events = [...readJsonlInParallel(file, tally, { headBytes })];
  return { events, read: tally.report('jsonl') };
}

/** Read with every line left to the worker, with a short head read by this thread, and as by default. */
const HEADS = [0, 1_000, 100_003, undefined];

describe('JSON Lines parsed in a second thread', () => {
  it('gives the same events as the ordinary reader on every generated run', () => {
    for (const name of readdirSync(GENERATED).filter((f) => f.endsWith('.jsonl'))) {
      const file = path.join(GENERATED, name);
      const expected = serial(file);
      for (const head of [0, undefined]) expect(parallel(file, head), `${name}, head ${head}`).toEqual(expected);
    }
  });

  it('gives the same events and issues on unusual lines, across chunk boundaries', () => {
    const unusual = [
      '{"step": 1, "loss": 0.5}',
      '',
      '   ',
      '{"step": 2, "loss": "nan", "lr": "1e-3"}\r',
      '{"step": 3, "train": {"loss": 0.4, "acc": 91.5}}',
      '{"type": "epoch_ended", "epoch": 1}',
      '{"type": 7, "loss": 0.3}',
      '{"step": 4, "loss": NaN, "grad_norm": Infinity}',
      'not json at all',
      '[1, 2, 3]',
      '{}',
      '{"__proto__": 1, "loss": 0.2}',
      '{"10": 1, "2": 2, "loss": 0.1, "étape": 3}',
      '{"step": 5, "loss": 0.05, "note": "text is not a metric"}',
      '{"Epoch": 2, "Step": 6, "Timestamp": 1700000000, "loss": 0.04}',
      `{"step": 7, "": 1, "${'n'.repeat(300)}": 2, "loss": 0.03}`,
      '{"step": 8.5, "epoch": -1, "loss": 0.02, "step": 9}',
    ];
    // Enough lines to span several 1 MB chunks, with a multi-byte character across boundaries.
    const lines: string[] = [];
    for (let i = 0; i < 40_000; i++) lines.push(i % 1000 === 0 ? unusual[(i / 1000) % unusual.length] : `{"step": ${i}, "loss": ${1 / (i + 1)}, "métrique": ${i % 7}}`);
    const file = path.join(dir, 'unusual.jsonl');
    writeFileSync(file, lines.join('\n'));
    const b = serial(file);
    for (const head of HEADS) {
      const a = parallel(file, head);
      expect(a.events.length).toBeGreaterThan(39_000);
      expect(a, `head ${head}`).toEqual(b);
      expect(a.read.skipped).toBeGreaterThan(0);
    }
  });

  it('reads lines longer than the pieces the worker reads, and a last line with no newline', () => {
    const long = 'x'.repeat(300_000);
    const lines = [
      '{"step": 1, "loss": 0.5}',
      `{"step": 2, "loss": 0.4, "note": "${long}"}`,
      `{"step": 3, ${Array.from({ length: 20_000 }, (_, i) => `"m${i}": ${i}`).join(', ')}}`,
      `{"step": 4, "loss": 0.3, "é": "${'é'.repeat(100_000)}"}\r`,
      `not json ${long}`,
      '{"step": 5, "loss": 0.2}',
    ];
    const file = path.join(dir, 'long-lines.jsonl');
    writeFileSync(file, lines.join('\n'));
    const a = parallel(file, 0);
    expect(a).toEqual(serial(file));
    for (const head of HEADS) expect(parallel(file, head), `head ${head}`).toEqual(a);
    expect(a.read.lines).toBe(6);
    expect(a.events.map((e) => (e.type === 'metrics' ? e.step : undefined))).toEqual([1, 2, 3, 4, 5]);
  });

  it('counts names as the ordinary reader does past the report name limit, packed lines and text lines mixed', () => {
    const lines: string[] = [];
    for (let i = 0; i < 6_000; i++) {
      lines.push(`{"step": ${i}, "m${i}": 1, "loss": 0.5}`);
      if (i % 7 === 0) lines.push(`{"step": ${i}, "m${i % 50}": "nan", "loss": 0.4, "m${(i * 13) % 6000}": 2}`);
      if (i % 11 === 0) lines.push(`{"step": ${i}, "m${(i * 7) % 6000}": 3}`);
    }
    const file = path.join(dir, 'many-names.jsonl');
    writeFileSync(file, lines.join('\n'));
    const b = serial(file);
    for (const head of HEADS) expect(parallel(file, head), `head ${head}`).toEqual(b);
    expect(b.read.unmapped_names).toBeGreaterThan(4000);
  });

  it('says which file could not be read', () => {
    for (const headBytes of HEADS) expect(() => [...readJsonlInParallel(path.join(dir, 'missing.jsonl'), undefined, { headBytes })]).toThrow(/cannot read .*missing\.jsonl/);
  });
});
