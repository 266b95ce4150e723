// What importing a training file yields: the run it describes and its events, with what was skipped.
import type { EventInput } from './events.ts';

/** A record the importer could not read; it is skipped and reported, never fatal. */
export interface ImportIssue {
  /** Machine-readable reason: bad_json, bad_row, bad_event, corrupt_record, bad_length, ... */
  code: string;
  message: string;
  /** 1-based line of a text format, or byte offset of a binary record. */
  line?: number;
  offset?: number;
  file?: string;
}

export type RunStartedInput = Extract<EventInput, { type: 'run_started' }>;

export interface ImportedRun {
  /** File name without extension, or the parent directory's name when the file name is generic. */
  name: string;
  /** Detected format: jsonl, detectron2, keras_csv, lightning_csv, yolo_csv, csv, hf_trainer_state, lineage, keras_history, json, text, tfevents. */
  format: string;
  run_started?: RunStartedInput;
  events: EventInput[];
  /** Records skipped as unreadable (at most the first 100; `skipped` counts them all). */
  issues: ImportIssue[];
  skipped: number;
}
