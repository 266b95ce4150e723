// Imports a whole training file (or a TensorBoard run directory) into one run's events.
import { readFile, stat } from 'node:fs/promises';
import { AnalystError } from '../../domain/errors.ts';
import { LoopBudget } from '../../domain/loop-budget.ts';
import type { EventInput } from '../../domain/events.ts';
import type { ImportedRun, RunStartedInput } from '../../domain/imports.ts';
import { hasEventFiles, readEventDirectory } from '../tfevents/event-file.ts';
import { isFileFormat, type FileFormat } from './detect.ts';
import { createReader, isDocumentFormat, parseDocument } from './formats.ts';
import type { EventReader } from './reader.ts';
import { parsePythonJson, TooDeepError } from './python-json.ts';
import { isMlflowRunDir, readMlflowRunDir } from './mlflow-run-dir.ts';
import { runNameFor } from './run-name.ts';

import { formatOf, notReadable, type ImportOptions } from './stream-file.ts';

export { formatOf, streamFile, type ImportOptions, type StreamedRun } from './stream-file.ts';

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

