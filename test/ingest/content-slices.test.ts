import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { LoopBudget } from '../../src/domain/loop-budget.ts';
import type { EventInput } from '../../src/domain/events.ts';
import type { FileFormat } from '../../src/ingest/files/detect.ts';
import { importContent, importContentInSlices } from '../../src/ingest/files/import-file.ts';
import { assignImportIds, ImportIds } from '../../src/ingest/files/import-ids.ts';
import { fileVersion, simpleScalar } from './tfevents/write-events.ts';

const SLICE = 64 * 1024;

/** Content whose byte SLICE - 1 is the first byte of "é" and whose bytes 2 * SLICE - 1 and 2 * SLICE are "\r\n". */
function jsonlAcrossSlices(): Buffer {
  const lines: string[] = [];
  let bytes = 0;
  const add = (line: string) => {
    lines.push(line);
    bytes += Buffer.byteLength(line) + 1;
  };
  for (let i = 0; bytes < SLICE - 200; i++) add(JSON.stringify({ step: i, loss: 2 / (1 + i) }));
  const head = '{"type":"log","level":"info","message":"';
  add(head + 'a'.repeat(SLICE - 1 - bytes - head.length) + 'é and 🙂 cut in two"}');
  for (let i = 0; bytes < 2 * SLICE - 200; i++) add(JSON.stringify({ step: 10_000 + i, loss: 1 / (1 + i) }));
  // A CRLF line whose "\r" ends the second slice and whose "\n" starts the third.
  const crlf = `{"step":20000,"loss":0.5,"note":"${'b'.repeat(2 * SLICE - 1 - bytes - 35)}"}`;
  lines.push(crlf + '\r');
  bytes += Buffer.byteLength(crlf) + 2;
  for (let i = 0; i < 3000; i++) lines.push(JSON.stringify({ step: 20_001 + i, loss: 0.5 / (1 + i), val_loss: i % 7 === 0 ? 'nan' : 0.6 }));
  lines.push('not json at all', '{"step": 30000, "loss": 0.1}');
  const content = Buffer.from(lines.join('\n'));
  expect(content.subarray(SLICE - 1, SLICE + 1).toString('utf8')).toBe('é');
  expect(content.subarray(2 * SLICE - 1, 2 * SLICE + 1).toString('latin1')).toBe('\r\n');
  return content;
}

/** importContent as the import route called it before: the whole body decoded at once and read in one piece. */
function whole(content: Buffer, format: FileFormat) {
  return importContent(format === 'tfevents' ? content : content.toString('utf8'), format, 'r');
}

describe('reading an upload in slices', () => {
  it('gives the events, run start and read report of reading it whole, when a slice ends inside a character or a line ending', async () => {
    const content = jsonlAcrossSlices();
    // A budget of 0 ms gives the loop a turn after every slice, as a busy server would.
    const sliced = await importContentInSlices(content, 'jsonl', 'r', new LoopBudget(0));
    const once = whole(content, 'jsonl');
    expect(sliced).toEqual(once);
    const log = sliced.events.find((e) => e.type === 'log') as Extract<EventInput, { type: 'log' }>;
    expect(log.message.endsWith('é and 🙂 cut in two')).toBe(true);
    expect(sliced.events.filter((e) => e.type === 'metrics')).toHaveLength(content.toString('utf8').split('\n').length - 2);
    expect(sliced.read).toMatchObject({ skipped: 1 });
  });

  it('does the same for CSV, text logs and TensorBoard event files', async () => {
    const csv = Buffer.from(['epoch,loss,val_loss,lr', ...Array.from({ length: 9000 }, (_, i) => `${i},${2 / (1 + i)},${1.5 + (i % 3) / 10},0.001`)].join('\n') + '\n');
    const text = Buffer.from(readFileSync('test/fixtures/logs/generic-key-value.log', 'utf8').repeat(Math.ceil((3 * SLICE) / 2000)));
    const tfevents = Buffer.concat([fileVersion(), ...Array.from({ length: 6000 }, (_, i) => simpleScalar('loss', 1 / (1 + i), i))]);
    for (const [content, format] of [
      [csv, 'csv'],
      [text, 'text'],
      [tfevents, 'tfevents'],
    ] as const) {
      expect(content.length).toBeGreaterThan(2 * SLICE);
      const sliced = await importContentInSlices(content, format, 'r', new LoopBudget(0));
      expect(sliced.events.length).toBeGreaterThan(1000);
      expect(sliced).toEqual(whole(content, format));
    }
  });
});

describe('import ids given a slice at a time', () => {
  it('are the ids of the whole file, identical events counted across the slices', () => {
    const file = (): EventInput[] => [
      { type: 'metrics', step: 1, values: { loss: 1 } },
      { type: 'metrics', values: { loss: 1 } },
      { type: 'metrics', values: { loss: 1 } },
      { type: 'metrics', values: { loss: 1 } },
      { type: 'log', level: 'info', message: 'x', event_id: 'kept' },
      { type: 'metrics', values: { loss: 1 } },
    ];
    const once = file();
    assignImportIds(once);
    const sliced = file();
    const ids = new ImportIds();
    for (const at of [0, 2, 3, 5]) ids.assign(sliced.slice(at, at === 0 ? 2 : at === 3 ? 5 : at + 1));
    expect(sliced.map((e) => e.event_id)).toEqual(once.map((e) => e.event_id));
    expect(new Set(once.map((e) => e.event_id)).size).toBe(once.length);
    expect(once[4].event_id).toBe('kept');
  });
});
