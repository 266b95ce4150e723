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

/** All event files of a run directory merged, in order, into one run named after the directory. */
export async function readEventDirectory(dir: string): Promise<ImportedRun> {
  const tally = new ReadTally();
  const events: EventInput[] = [];
  for (const file of await eventFilesIn(dir)) {
    const reader = new TfeventsReader();
    fromReader(reader, await readFile(file), file, events);
    tally.merge(reader.tally);
  }
  return { name: path.basename(path.resolve(dir)), format: 'tfevents', events, read: tally.report('tfevents', dir) };
}
