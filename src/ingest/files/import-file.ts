// Imports a whole training file (or a TensorBoard run directory) into one run's events.
import { closeSync, openSync, readSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { AnalystError } from '../../domain/errors.ts';
import { LoopBudget } from '../../domain/loop-budget.ts';
import type { EventInput } from '../../domain/events.ts';
import type { ImportedRun, RunStartedInput } from '../../domain/imports.ts';
import type { ReadReport } from '../../domain/read-report.ts';
import { hasEventFiles, readEventDirectory } from '../tfevents/event-file.ts';
import { hasRecordHeader } from '../tfevents/record-reader.ts';
import { detectFormat, isFileFormat, isTfeventsName, type FileFormat } from './detect.ts';
import { createReader, isDocumentFormat, parseDocument } from './formats.ts';
import type { EventReader } from './reader.ts';
import { readJsonlInParallel } from './jsonl-parallel.ts';
import { parsePythonJson, TooDeepError } from './python-json.ts';
import { ReadTally } from './read-tally.ts';
import { isMlflowRunDir, readMlflowRunDir } from './mlflow-run-dir.ts';
import { runNameFor } from './run-name.ts';

export interface ImportOptions {
  /** Skip detection and read the file as this format. */
  format?: string;
  /** Run name to use instead of the one derived from the path. */
  name?: string;
}

function documentRun(text: string, format: FileFormat, name: string): ImportedRun {
  let doc: unknown;
  try {
    doc = parsePythonJson(text);
  } catch (error) {
    const issues = error instanceof TooDeepError ? [{ path: error.path, message: error.message }] : undefined;
    throw new AnalystError('invalid_body', `${name}: not a JSON document: ${(error as Error).message}`, issues);
  }
  const parsed = parseDocument(format, doc);
  if (parsed.run_started) parsed.run_started.name ??= name;
  parsed.tally.count(parsed.events);
  return { name, format, run_started: parsed.run_started, events: parsed.events, read: parsed.tally.report(format) };
}

/** Reads content already in memory as one run; importFile's core, usable without a file (`file`: its name, where known). */
export function importContent(content: string | Buffer, format: FileFormat, name: string, file?: string): ImportedRun {
  if (isDocumentFormat(format)) return documentRun(content.toString(), format, name);
  const reader = createReader(format, file);
  const events = reader.push(content);
  for (const e of reader.end()) events.push(e);
  return streamedRun(reader, events, format, name);
}

/** Bytes parsed between two looks at the loop budget: a few milliseconds of reading. */
const SLICE_BYTES = 64 * 1024;

/**
 * importContent for a service that answers other requests meanwhile: a line or record format is
 * read SLICE_BYTES at a time, with a turn of the event loop whenever a slice of work has run
 * (a 100k-line file held the loop for 300 ms in one piece). The run is the one importContent
 * gives: readers take their input in pieces anyway, as a tailer feeds them. A whole document
 * (trainer_state.json, ...) is one JSON value and is still read in one piece.
 */
export async function importContentInSlices(content: Buffer, format: FileFormat, name: string, budget = new LoopBudget(), file?: string): Promise<ImportedRun> {
  if (isDocumentFormat(format)) return documentRun(content.toString(), format, name);
  const reader = createReader(format, file);
  const events: EventInput[] = [];
  for (let at = 0; at < content.length; at += SLICE_BYTES) {
    for (const e of reader.push(content.subarray(at, at + SLICE_BYTES))) events.push(e);
    await budget.tick();
  }
  for (const e of reader.end()) events.push(e);
  return streamedRun(reader, events, format, name);
}

/** The run of a streamed format's events, all read. */
function streamedRun(reader: EventReader, events: EventInput[], format: FileFormat, name: string): ImportedRun {
  // A log that states its configuration (argparse's Namespace line) starts the run with it.
  const first = events.findIndex((e) => e.type === 'run_started');
  const runStarted = first < 0 ? undefined : (events.splice(first, 1)[0] as RunStartedInput);
  if (runStarted) runStarted.name ??= name;
  return { name, format, run_started: runStarted, events, read: reader.tally.report(format) };
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

function notReadable(target: string, error: unknown): AnalystError {
  const code = (error as NodeJS.ErrnoException).code;
  return new AnalystError(code === 'ENOENT' ? 'not_found' : 'invalid_body', `cannot read ${target}: ${(error as Error).message}`);
}

/**
 * One training file as a run: JSONL, CSV, trainer_state.json, detectron2 metrics.json,
 * training_info.json, a text log or a TensorBoard event file. A directory is an MLflow run folder
 * (`mlruns/<experiment>/<run>`) or a TensorBoard run directory, whose event files are merged in order.
 */
export async function importFile(filePath: string, opts: ImportOptions = {}): Promise<ImportedRun> {
  if (opts.format !== undefined && !isFileFormat(opts.format)) {
    throw new AnalystError('unsupported_media_type', `unknown format ${opts.format}`);
  }
  let buffer: Buffer;
  try {
    if ((await stat(filePath)).isDirectory()) {
      const mlflow = await isMlflowRunDir(filePath);
      if (!mlflow && !(await hasEventFiles(filePath))) {
        throw new AnalystError('not_found', `no TensorBoard event files in ${filePath}, and it is no MLflow run folder (meta.yaml and metrics/)`);
      }
      const run = mlflow ? await readMlflowRunDir(filePath) : await readEventDirectory(filePath);
      return opts.name ? { ...run, name: opts.name } : run;
    }
    buffer = await readFile(filePath);
  } catch (error) {
    throw error instanceof AnalystError ? error : notReadable(filePath, error);
  }
  const format = (opts.format as FileFormat | undefined) ?? formatOf(filePath, buffer)!;
  const run = importContent(buffer, format, opts.name ?? runNameFor(filePath), filePath);
  run.read = { file: filePath, ...run.read };
  return run;
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
    if ((await stat(filePath)).isDirectory()) return whole(await importFile(filePath, opts));
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
  if (format === undefined || isDocumentFormat(format)) return whole(await importFile(filePath, opts));
  const name = opts.name ?? runNameFor(filePath);
  const report = (tally: ReadTally) => () => tally.report(format, filePath);
  // Big JSON Lines files parse in a second thread; below this size its start-up is not worth it.
  if (format === 'jsonl' && (await stat(filePath)).size >= PARALLEL_JSONL_BYTES) {
    const tally = new ReadTally();
    return { name, format, events: readJsonlInParallel(filePath, tally), read: report(tally) };
  }
  const reader = createReader(format, filePath);
  return { name, format, events: readChunks(filePath, reader), read: report(reader.tally) };
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
