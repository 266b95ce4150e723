// One place mapping each file format to the code that reads it, streamed or as a whole document.
import { describeValue } from '../../domain/json-value.ts';
import { AnalystError } from '../../domain/errors.ts';
import type { EventInput } from '../../domain/events.ts';
import type { RunStartedInput } from '../../domain/imports.ts';
import { documentFormatOf, type DocumentFormat, type FileFormat, type StreamFormat } from './detect.ts';
import { createCsvReader } from './csv.ts';
import { parseTrainerState } from './hf-trainer-state.ts';
import { createJsonlReader } from './jsonl.ts';
import { parseKerasHistory } from './keras-history.ts';
import { parseLineage } from './lineage.ts';
import { parseNotebook } from './notebook.ts';
import { ReadTally } from './read-tally.ts';
import type { EventReader } from './reader.ts';
import { createTextReader } from './text-log.ts';
import { TfeventsReader } from '../tfevents/event-file.ts';
import { recordToMetrics } from './records.ts';

const READERS: Partial<Record<StreamFormat, (file?: string) => EventReader>> = {
  jsonl: () => createJsonlReader('jsonl'),
  detectron2: () => createJsonlReader('detectron2'),
  keras_csv: (file) => createCsvReader('keras_csv', file),
  lightning_csv: (file) => createCsvReader('lightning_csv', file),
  yolo_csv: (file) => createCsvReader('yolo_csv', file),
  csv: (file) => createCsvReader('csv', file),
  text: createTextReader,
  tfevents: () => new TfeventsReader(),
};

/** An incremental reader for a streamable format, for tailing growing files; `file` is the file's name where known. */
export function createReader(format: FileFormat, file?: string): EventReader {
  const make = READERS[format as StreamFormat];
  if (!make) throw new AnalystError('unsupported_media_type', `format ${format} cannot be read incrementally`);
  return make(file);
}

export interface ParsedDocument {
  run_started?: RunStartedInput;
  events: EventInput[];
  /** Entries read and skipped; the caller counts the events' values. */
  tally: ReadTally;
}

/** A JSON array of flat records, e.g. a metrics history dumped with json.dump(list_of_dicts). */
function parseRecordArray(doc: unknown): ParsedDocument {
  const tally = new ReadTally();
  const events: EventInput[] = [];
  (doc as unknown[]).forEach((item, i) => {
    tally.lines++;
    if (item === null || typeof item !== 'object' || Array.isArray(item)) {
      tally.skip({ code: 'bad_record', line: i + 1, message: 'array item is not an object', text: describeValue(item) });
      return;
    }
    const event = recordToMetrics(item as Record<string, unknown>);
    if (event) events.push(event);
  });
  return { events, tally };
}

const DOCUMENTS: Partial<Record<DocumentFormat, (doc: unknown) => ParsedDocument>> = {
  json: parseRecordArray,
  hf_trainer_state: parseTrainerState,
  lineage: parseLineage,
  keras_history: parseKerasHistory,
  notebook: parseNotebook,
};

/** Reads a whole-document format (an already parsed JSON value) after checking its shape. */
export function parseDocument(format: FileFormat, doc: unknown): ParsedDocument {
  const parse = DOCUMENTS[format as DocumentFormat];
  if (!parse) throw new AnalystError('unsupported_media_type', `format ${format} is not a document format`);
  if (documentFormatOf(doc) !== format) throw new AnalystError('invalid_body', `not a ${format} document`);
  return parse(doc);
}

export { isDocumentFormat } from './detect.ts';
