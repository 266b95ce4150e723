// What importing a training file yields: the run it describes, its events, and the report of what was read.
import type { EventInput } from './events.ts';
import type { ReadReport } from './read-report.ts';

export type RunStartedInput = Extract<EventInput, { type: 'run_started' }>;

export interface ImportedRun {
  /** File name without extension, or the parent directory's name when the file name is generic. */
  name: string;
  /** Detected format: jsonl, detectron2, keras_csv, lightning_csv, yolo_csv, csv, hf_trainer_state, lineage, keras_history, json, text, tfevents, mlflow (a run folder). */
  format: string;
  run_started?: RunStartedInput;
  events: EventInput[];
  /** Lines read, points produced, what was skipped and which names were understood. */
  read: ReadReport;
}
