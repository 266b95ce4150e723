// Reads a training file as it streams, for diagnosing it offline; the format of a file or body.
// Apart from import-file.ts (which re-exports it) so that a JSON Lines file is read without
// loading the readers of the other formats (TensorBoard's protobuf decoder, the log-line parsers:
// 0.1 to 0.3 s of a cold start under tsx): they are imported when a file needs them.
import { closeSync, openSync, readSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { AnalystError } from '../../domain/errors.ts';
import type { EventInput } from '../../domain/events.ts';
import type { ImportedRun } from '../../domain/imports.ts';
import type { ReadReport } from '../../domain/read-report.ts';
import { hasRecordHeader } from '../tfevents/record-reader.ts';
import { detectFormat, isDocumentFormat, isTfeventsName, type FileFormat } from './detect.ts';
import type { EventReader } from './reader.ts';
import { readJsonlInParallel } from './jsonl-parallel.ts';
import { ReadTally } from './read-tally.ts';
import { runNameFor } from './run-name.ts';

export interface ImportOptions {
  /** Skip detection and read the file as this format. */
  format?: string;
  /** Run name to use instead of the one derived from the path. */
  name?: string;
}

/** Detection reads the head of a big file, not all of it: a 60 MB JSONL file need not be decoded twice. */
const DETECT_BYTES = 64 * 1024;

/**
 * A file's format from its name and content: TensorBoard records by their framing, the rest by
 * detectFormat on the head. A first line longer than the head is a one-line JSON document, whose
 * kind needs all of it: undefined when `content` is only the head of a larger file.
 */
export function formatOf(filePath: string, content: Buffer, complete = true): FileFormat | undefined {
  if (isTfeventsName(filePath) || hasRecordHeader(content)) return 'tfevents';
  // Text has no NUL bytes; read as lines, an executable or an image would be noise at best.
  if (content.subarray(0, DETECT_BYTES).includes(0)) {
    const what = filePath || 'the body';
    throw new AnalystError('no_metrics', `${what}: binary content that is not a TensorBoard event file: no training metrics can be read from it`, [
      { path: '(file)', message: 'binary content (NUL bytes) that is not a TensorBoard event file' },
    ]);
  }
  if (complete && content.length <= DETECT_BYTES) return detectFormat(filePath, content.toString('utf8'));
  const newline = content.indexOf(10);
  if (newline >= 0 && newline < DETECT_BYTES) return detectFormat(filePath, content.subarray(0, DETECT_BYTES).toString('utf8'));
  return complete ? detectFormat(filePath, content.toString('utf8')) : undefined;
}

export function notReadable(target: string, error: unknown): AnalystError {
  const code = (error as NodeJS.ErrnoException).code;
  return new AnalystError(code === 'ENOENT' ? 'not_found' : 'invalid_body', `cannot read ${target}: ${(error as Error).message}`);
}

/** A run read as it streams: events come out chunk by chunk, never all in memory at once. */
export interface StreamedRun {
  name: string;
  format: string;
  events: Iterable<EventInput>;
  /** What was read so far: complete once `events` has been iterated to its end. */
  read(): ReadReport;
}

const CHUNK_BYTES = 1024 * 1024;
const PARALLEL_JSONL_BYTES = 8 * 1024 * 1024;

/**
 * Like importFile, but a line or record format is read a chunk at a time, so diagnosing a file
 * of millions of points holds only what the context keeps. Documents (trainer_state.json, ...)
 * and TensorBoard directories are read whole, as importFile does.
 */
export async function streamFile(filePath: string, opts: ImportOptions = {}): Promise<StreamedRun> {
  let head: Buffer;
  try {
    if ((await stat(filePath)).isDirectory()) return whole(await importWhole(filePath, opts));
    const fd = openSync(filePath, 'r');
    try {
      head = Buffer.alloc(DETECT_BYTES);
      head = head.subarray(0, readSync(fd, head, 0, DETECT_BYTES, 0));
    } finally {
      closeSync(fd);
    }
  } catch (error) {
    throw error instanceof AnalystError ? error : notReadable(filePath, error);
  }
  // A head shorter than asked for is the whole file.
  const format = (opts.format as FileFormat | undefined) ?? formatOf(filePath, head, head.length < DETECT_BYTES);
  if (format === undefined || isDocumentFormat(format)) return whole(await importWhole(filePath, opts));
  const name = opts.name ?? runNameFor(filePath);
  const report = (tally: ReadTally) => () => tally.report(format, filePath);
  // Big JSON Lines files parse in a second thread; below this size its start-up is not worth it.
  if (format === 'jsonl' && (await stat(filePath)).size >= PARALLEL_JSONL_BYTES) {
    const tally = new ReadTally();
    return { name, format, events: readJsonlInParallel(filePath, tally), read: report(tally) };
  }
  const { createReader } = await import('./formats.ts');
  const reader = createReader(format, filePath);
  return { name, format, events: readChunks(filePath, reader), read: report(reader.tally) };
}

/** importFile, loaded with the readers of every format only when a file needs it. */
async function importWhole(filePath: string, opts: ImportOptions): Promise<ImportedRun> {
  const { importFile } = await import('./import-file.ts');
  return importFile(filePath, opts);
}

function whole(run: ImportedRun): StreamedRun {
  return { name: run.name, format: run.format, events: run.run_started ? [run.run_started, ...run.events] : run.events, read: () => run.read };
}

/**
 * Events of a file read a chunk at a time. A hand-written iterator rather than a generator: at a
 * million events the generator's per-item bookkeeping was a tenth of the read (npm run bench).
 */
function readChunks(filePath: string, reader: EventReader): Iterable<EventInput> {
  return {
    [Symbol.iterator](): Iterator<EventInput> {
      let fd: number | null = openSync(filePath, 'r');
      let batch: EventInput[] = [];
      let i = 0;
      const done = { done: true as const, value: undefined };
      const close = () => {
        if (fd !== null) closeSync(fd);
        fd = null;
      };
      return {
        next(): IteratorResult<EventInput> {
          while (i >= batch.length) {
            if (fd === null) return done;
            // A fresh buffer per chunk: a reader may keep a partial record of the last one.
            const chunk = Buffer.allocUnsafe(CHUNK_BYTES);
            const n = readSync(fd, chunk, 0, CHUNK_BYTES, null);
            if (n === 0) {
              close();
              batch = reader.end();
            } else batch = reader.push(chunk.subarray(0, n));
            i = 0;
          }
          return { done: false, value: batch[i++] };
        },
        return(): IteratorResult<EventInput> {
          close();
          return done;
        },
      };
    },
  };
}
