// Imports a whole training file (or a TensorBoard run directory) into one run's events.
import { readFile } from 'node:fs/promises';
import { AnalystError } from '../../domain/errors.ts';
import type { ImportedRun, RunStartedInput } from '../../domain/imports.ts';
import { detectFormat, isFileFormat, type FileFormat } from './detect.ts';
import { createReader, isDocumentFormat, parseDocument } from './formats.ts';
import { parsePythonJson } from './python-json.ts';
import { runNameFor } from './run-name.ts';

export interface ImportOptions {
  /** Skip detection and read the file as this format. */
  format?: string;
  /** Run name to use instead of the one derived from the path. */
  name?: string;
}

/** Reads text already in memory as one run; importFile's core, usable without a file. */
export function importText(text: string, format: FileFormat, name: string): ImportedRun {
  if (isDocumentFormat(format)) {
    let doc: unknown;
    try {
      doc = parsePythonJson(text);
    } catch (error) {
      throw new AnalystError('invalid_body', `${name}: not a JSON document: ${(error as Error).message}`);
    }
    const parsed = parseDocument(format, doc);
    if (parsed.run_started) parsed.run_started.name ??= name;
    return { name, format, run_started: parsed.run_started, events: parsed.events, issues: parsed.issues.kept, skipped: parsed.issues.count };
  }
  const reader = createReader(format);
  const events = reader.push(text);
  for (const e of reader.end()) events.push(e);
  // A log that states its configuration (argparse's Namespace line) starts the run with it.
  const first = events.findIndex((e) => e.type === 'run_started');
  const runStarted = first < 0 ? undefined : (events.splice(first, 1)[0] as RunStartedInput);
  if (runStarted) runStarted.name ??= name;
  return { name, format, run_started: runStarted, events, issues: reader.issues.kept, skipped: reader.issues.count };
}

export async function importFile(filePath: string, opts: ImportOptions = {}): Promise<ImportedRun> {
  if (opts.format !== undefined && !isFileFormat(opts.format)) {
    throw new AnalystError('unsupported_media_type', `unknown format ${opts.format}`);
  }
  let buffer: Buffer;
  try {
    buffer = await readFile(filePath);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new AnalystError(code === 'ENOENT' ? 'not_found' : 'invalid_body', `cannot read ${filePath}: ${(error as Error).message}`);
  }
  const text = buffer.toString('utf8');
  const format = (opts.format as FileFormat | undefined) ?? detectFormat(filePath, text);
  const run = importText(text, format, opts.name ?? runNameFor(filePath));
  for (const issue of run.issues) issue.file = filePath;
  return run;
}
