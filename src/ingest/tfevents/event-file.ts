// TensorBoard event files: an incremental reader for live files, and whole-file / run-directory imports.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { EventInput, MetricsInput } from '../../domain/events.ts';
import type { ImportedRun } from '../../domain/imports.ts';
import { ReadTally } from '../files/read-tally.ts';
import type { EventReader } from '../files/reader.ts';
import { runNameFor } from '../files/run-name.ts';
import { TfRecordReader, type TfRecordBatch } from './record-reader.ts';
import { decodeEvent, scalarsOf, type EventScalars } from './scalars.ts';

/** Reads a growing event file: push the new bytes, get the metrics of the records they completed. */
export class TfeventsReader implements EventReader {
  readonly format = 'tfevents';
  readonly tally = new ReadTally();
  private readonly records = new TfRecordReader();
  /** Last epoch scalar seen, for the steps that follow it. */
  private epoch: number | undefined;

  push(chunk: string | Buffer): EventInput[] {
    return this.decode(this.records.push(typeof chunk === 'string' ? Buffer.from(chunk, 'latin1') : chunk));
  }

  end(): EventInput[] {
    return this.decode(this.records.end());
  }

  private decode(batch: TfRecordBatch): EventInput[] {
    for (const error of batch.errors) this.tally.skip({ code: error.code, offset: error.offset, message: error.message });
    this.tally.lines += batch.records.length;
    const grouper = new StepGrouper(this.epoch);
    for (const record of batch.records) {
      try {
        grouper.add(scalarsOf(decodeEvent(record)));
      } catch (error) {
        // The CRC matched, so the bytes are what the writer wrote: they are just not an Event.
        this.tally.skip({ code: 'bad_event', message: `record is not a TensorBoard Event: ${(error as Error).message}` });
      }
    }
    this.epoch = grouper.epoch;
    this.tally.count(grouper.out);
    return grouper.out;
  }
}

/** Tags that hold the epoch (HF's `train/epoch`, Lightning's `epoch`): the event's position, not a metric. */
function isEpochTag(tag: string): boolean {
  return tag === 'epoch' || tag.endsWith('/epoch');
}

/**
 * Writers put one scalar per Event; consecutive Events of one step become one metrics event, as
 * a trainer logging a dict would send it. The epoch scalar becomes the event's epoch, and carries
 * over to later steps until the next one (HF writes it after the step's other scalars).
 */
class StepGrouper {
  readonly out: EventInput[] = [];
  private current: MetricsInput | undefined;

  constructor(public epoch: number | undefined) {}

  add(scalars: EventScalars): void {
    for (const [tag, value] of scalars.values) {
      if (isEpochTag(tag)) {
        if (Number.isFinite(value) && value >= 0) {
          this.epoch = value;
          if (this.current && this.current.step === scalars.step) this.current.epoch = value;
        }
        continue;
      }
      if (!this.current || this.current.step !== scalars.step || Object.hasOwn(this.current.values, tag)) this.start(scalars);
      this.current!.values[tag] = value;
    }
  }

  private start(scalars: EventScalars): void {
    this.current = { type: 'metrics', values: {} };
    if (scalars.step !== undefined) this.current.step = scalars.step;
    if (this.epoch !== undefined) this.current.epoch = this.epoch;
    if (scalars.ts !== undefined) this.current.ts = scalars.ts;
    this.out.push(this.current);
  }
}

function fromReader(reader: TfeventsReader, bytes: Buffer, file: string, events: EventInput[]): void {
  for (const e of reader.push(bytes)) events.push(e);
  for (const e of reader.end()) events.push(e);
  for (const skipped of reader.tally.examples) skipped.file = file;
}

/** One whole event file as a run named after its directory. */
export async function readEventFile(filePath: string): Promise<ImportedRun> {
  const reader = new TfeventsReader();
  const events: EventInput[] = [];
  fromReader(reader, await readFile(filePath), filePath, events);
  return { name: runNameFor(filePath), format: 'tfevents', events, read: reader.tally.report('tfevents', filePath) };
}

export function isEventFileName(name: string): boolean {
  return name.startsWith('events.out.tfevents.');
}

/**
 * The event files of one run directory, oldest first: a writer restarted on resume starts a new
 * file, and the timestamp after `events.out.tfevents.` orders them.
 */
export async function eventFilesIn(dir: string): Promise<string[]> {
  const names = (await readdir(dir, { withFileTypes: true })).filter((d) => d.isFile() && isEventFileName(d.name)).map((d) => d.name);
  const stamp = (n: string) => Number(n.split('.')[3]) || 0;
  names.sort((a, b) => stamp(a) - stamp(b) || a.localeCompare(b));
  return names.map((n) => path.join(dir, n));
}

/**
 * Split-named subdirectories with event files of their own, each a part of the run: Keras's
 * TensorBoard callback writes `train/` and `validation/` (both with `epoch_loss`), PyTorch's
 * `add_scalars('Loss', {'train': .., 'val': ..})` writes tag `Loss` into `Loss_train/` and
 * `Loss_val/`. Other subdirectories are runs of their own (a log directory of several runs).
 */
async function partsOf(dir: string): Promise<Array<{ part: string; files: string[] }>> {
  const subdirs = (await readdir(dir, { withFileTypes: true })).filter((d) => d.isDirectory() && isPartName(d.name)).map((d) => d.name);
  const parts = await Promise.all(subdirs.sort().map(async (part) => ({ part, files: await eventFilesIn(path.join(dir, part)) })));
  return parts.filter((p) => p.files.length > 0);
}

/**
 * Under a log directory of many runs, a directory named for a split (`train`, `validation`) or
 * ending in one (`Loss_val`) is a part of the run above it, not a run of its own.
 */
export function isPartName(dir: string): boolean {
  return /^(?:train|training|validation|valid|val|eval|evaluation|test)$|_(?:train|training|validation|valid|val|eval|evaluation|test)$/i.test(dir);
}

/** Whether a directory is a TensorBoard run: event files in it, or in its parts one level down. */
export async function hasEventFiles(dir: string): Promise<boolean> {
  return (await eventFilesIn(dir)).length > 0 || (await partsOf(dir)).length > 0;
}

/** A part's tag under the name TensorBoard shows it by: `validation/epoch_loss`, `Loss/train`. */
function partName(part: string, tag: string): string {
  return part.startsWith(`${tag}_`) ? `${tag}/${part.slice(tag.length + 1)}` : `${part}/${tag}`;
}

/** Names each tag of a part's metrics events by the part, in place. */
export function nameByPart(part: string, events: readonly EventInput[]): void {
  for (const e of events) if (e.type === 'metrics') e.values = Object.fromEntries(Object.entries(e.values).map(([tag, v]) => [partName(part, tag), v]));
}

/**
 * All event files of a run directory merged into one run named after the directory: its own
 * files in order (a writer restarted on resume starts a new one), and its parts' files with each
 * tag named by its part, interleaved by step so that a validation value follows the training
 * values of its step.
 */
export async function readEventDirectory(dir: string): Promise<ImportedRun> {
  const tally = new ReadTally();
  let events: EventInput[] = [];
  const parts = await partsOf(dir);
  const read = async (files: string[], part?: string) => {
    for (const file of files) {
      const reader = new TfeventsReader();
      const got: EventInput[] = [];
      fromReader(reader, await readFile(file), file, got);
      tally.mergeRead(reader.tally);
      if (part !== undefined) nameByPart(part, got);
      for (const e of got) events.push(e);
    }
  };
  await read(await eventFilesIn(dir));
  for (const { part, files } of parts) await read(files, part);
  if (parts.length > 0) {
    const at = (e: EventInput) => (e.type === 'metrics' ? (e.step ?? 0) : -1);
    events = events.map((e, i) => ({ e, i })).sort((a, b) => at(a.e) - at(b.e) || (a.e.ts ?? 0) - (b.e.ts ?? 0) || a.i - b.i).map((x) => x.e);
  }
  tally.count(events);
  return { name: path.basename(path.resolve(dir)), format: 'tfevents', events, read: tally.report('tfevents', dir) };
}
