// What a log-line parser remembers between lines: where in training the trainer currently is.
import { MAX_METRICS_PER_EVENT, MAX_NAME_LENGTH, type EventInput } from '../../domain/events.ts';
import { setOwn } from '../../domain/own.ts';

export interface LineParseState {
  /** Current epoch as the trainer prints it (Keras prints `Epoch 3/10` on a line of its own). */
  epoch?: number;
  totalEpochs?: number;
  /** The first epoch number seen: 0 or 1 tells how the trainer counts, for global step numbers. */
  firstEpoch?: number;
  /** Last step seen, for lines that print metrics without one (Caffe's per-output loss lines). */
  step?: number;
  /** Split named by a heading line (`Evaluation Results:`) for the bare values under it. */
  section?: 'val' | 'test';
  /** Column names of the last table header (Ultralytics prints a header, then a row of values). */
  table?: { kind: string; columns: string[] };
  /** Ultralytics' training columns, kept across its validation tables: a log may print the header once. */
  trainColumns?: string[];
  /**
   * The latest update of an epoch's progress bar, held until the line ends (a finished bar) or
   * the next epoch's bar starts (a bar that never finished, e.g. a run that crashed mid-epoch).
   */
  epochBar?: { event: EventInput; epoch: number; finished: boolean };
  /** The last progress bar without an epoch: its description, position and the steps of its earlier passes. */
  stepBar?: { desc: string; n: number; offset: number };
  /** A dict printed over several lines, gathered until it closes (see hf-dict.ts). */
  openDict?: { text: string; lines: number };
  /** Rows of a pandas Series printout (`loss    0.35`) waiting for its `dtype:` footer. */
  series?: Record<string, number>;
}

export interface ParsedLine {
  events: EventInput[];
  /** Whether some format knew the line, even if it holds no event (a progress bar mid-epoch, a table header). */
  recognised: boolean;
}

/** One log format: the events of a line it recognises, or undefined to let the next format try. */
export type LineParser = (line: string, state: LineParseState) => EventInput[] | undefined;

export function createLineState(): LineParseState {
  return {};
}

/** Records an epoch seen on a line; returns it for convenience. */
export function noteEpoch(state: LineParseState, epoch: number, total?: number): number {
  // HF prints fractional epochs (0.53): only a whole number says whether counting starts at 0 or 1.
  if (Number.isInteger(epoch)) state.firstEpoch ??= epoch;
  state.epoch = epoch;
  if (total !== undefined && total > 0) state.totalEpochs = total;
  return epoch;
}

/**
 * A step counted within the epoch (`200/ 2983 batches`, `Step 10/6501`) as a step counted from the
 * start of training, so series stay in order across epochs.
 */
export function globalStep(state: LineParseState, inEpoch: number, perEpoch: number | undefined): number {
  if (perEpoch === undefined || state.epoch === undefined) return inEpoch;
  const epochIndex = Math.max(0, state.epoch - (state.firstEpoch === 0 ? 0 : 1));
  return Math.floor(epochIndex) * perEpoch + inEpoch;
}

/** An epoch_started event, remembering the epoch for the lines that follow. */
export function epochStarted(state: LineParseState, epoch: number, total?: number): EventInput {
  noteEpoch(state, epoch, total);
  const event: EventInput = { type: 'epoch_started', epoch };
  if (state.totalEpochs !== undefined) event.total_epochs = state.totalEpochs;
  return event;
}

/**
 * Sets a metric if the value was read and the event schema would take it (name length, metric
 * count): parsers build events directly, without the schema, on this hot path.
 */
export function putValue(values: Record<string, number>, name: string, value: number | undefined): boolean {
  if (value === undefined || name === '' || name.length > MAX_NAME_LENGTH || Object.hasOwn(values, name)) return false;
  if (Object.keys(values).length >= MAX_METRICS_PER_EVENT) return false;
  setOwn(values, name, value);
  return true;
}

/** A metrics event at the given epoch (else the current one) and the given step. */
export function metricsHere(state: LineParseState, values: Record<string, number>, at: { epoch?: number; step?: number } = {}): EventInput {
  const event: EventInput = { type: 'metrics', values };
  const epoch = at.epoch ?? state.epoch;
  if (epoch !== undefined) event.epoch = epoch;
  if (at.step !== undefined) event.step = at.step;
  return event;
}
