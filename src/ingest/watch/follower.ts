// One watched file read into events with stable idempotency keys, and a position that survives restarts.
import path from 'node:path';
import { AnalystError } from '../../domain/errors.ts';
import type { EventInput } from '../../domain/events.ts';
import { detectFormat, isTfeventsName, type FileFormat } from '../files/detect.ts';
import { createReader, isDocumentFormat } from '../files/formats.ts';
import { LineReader, type EventReader } from '../files/reader.ts';
import { createLineState, logLineEvents } from '../sources/log-lines.ts';
import { FileTailer } from './tailer.ts';

/** What the state file remembers of one file. */
export interface FileState {
  /** Inode the position belongs to. */
  ino?: number;
  /** Bumped each time the file is replaced (rotation, truncation): keys of a new file never collide with the old one's. */
  gen: number;
  /** Where reading resumes: the end of the last line whose events were all acknowledged. */
  offset: number;
  /** Events of this generation acknowledged so far; the next event's ordinal. */
  events: number;
  format?: FileFormat;
  /** A CSV header line, fed again to the reader when it resumes mid-file. */
  header?: string;
}

export interface Polled {
  events: EventInput[];
  /** The state to keep once `events` are acknowledged. */
  next: FileState;
}

/** Enough text to tell a format, or to give up waiting for a second line. */
const DETECT_BYTES = 64 * 1024;
const NEWLINE = 0x0a;

/**
 * Keys are `w<generation>:<ordinal>:<file name>`: the n-th event read from a file is the same
 * event every time it is read, so anything resent after a crash (acknowledged, but not yet saved
 * as acknowledged) is stored once by the server. Line formats resume from the saved byte offset;
 * TensorBoard files are read again from the start and the events already sent are skipped, since
 * a record boundary cannot be told from the middle of a binary file (see perScalar).
 */
export class FileFollower {
  state: FileState;
  private readonly tailer: FileTailer;
  private reader: EventReader | undefined;
  private ordinal: number;
  /** Events below this ordinal were sent before a restart (TensorBoard files only). */
  private skipBelow = 0;
  /** Bytes fed to the reader after the last newline: the unfinished line it holds. */
  private unfinished = 0;

  /** `keyName`: the file's name in its events' keys, where its base name alone is not unique in its run (a run's parts). */
  constructor(
    readonly file: string,
    state: FileState | undefined,
    private readonly forced?: FileFormat,
    private readonly keyName = path.basename(file),
  ) {
    this.state = state ?? { gen: 0, offset: 0, events: 0 };
    const binary = (this.state.format ?? forced) === 'tfevents' || isTfeventsName(file);
    if (binary && this.state.events > 0) {
      this.skipBelow = this.state.events;
      this.tailer = new FileTailer(file, 0, this.state.ino);
    } else this.tailer = new FileTailer(file, this.state.offset, this.state.ino);
    this.ordinal = binary ? 0 : this.state.events;
  }

  /** New events since the last poll, or undefined when there are none yet. */
  async poll(): Promise<Polled | undefined> {
    const read = await this.tailer.read();
    if (read.kind === 'idle') return undefined;
    if (read.kind === 'replaced') return this.replaced();
    if (!this.reader && !this.open(read.bytes, read.from)) {
      this.tailer.rewind(read.from);
      return undefined;
    }
    const events = this.keyed(this.decode(read.bytes));
    const last = read.bytes.lastIndexOf(NEWLINE);
    this.unfinished = last < 0 ? this.unfinished + read.bytes.length : read.bytes.length - last - 1;
    const binary = this.state.format === 'tfevents';
    const next: FileState = {
      ...this.state,
      ino: this.tailer.inode,
      offset: binary ? 0 : this.tailer.offset - this.unfinished,
      events: Math.max(this.ordinal, this.skipBelow),
    };
    if (read.from === 0 && !binary && this.state.format?.endsWith('csv')) next.header = firstLine(read.bytes);
    return { events, next };
  }

  async close(): Promise<void> {
    await this.tailer.close();
  }

  /** The file was replaced: its last unfinished line counts, then a new generation starts at 0. */
  private replaced(): Polled {
    const events = this.reader ? this.keyed(this.perScalar(this.reader.end())) : [];
    this.reader = undefined;
    this.unfinished = 0;
    this.ordinal = 0;
    this.skipBelow = 0;
    return { events, next: { gen: this.state.gen + 1, offset: 0, events: 0 } };
  }

  /** Picks the reader once enough of the file is there to tell its format; false to wait for more. */
  private open(bytes: Buffer, from: number): boolean {
    let format = this.forced ?? this.state.format;
    if (!format) {
      if (from !== 0) throw new AnalystError('invalid_body', `${this.file}: cannot tell the format from the middle of the file; pass --format`);
      const head = bytes.subarray(0, DETECT_BYTES).toString('utf8');
      if (!isTfeventsName(this.file) && bytes.length < DETECT_BYTES && !enoughToDetect(head)) return false;
      format = detectFormat(this.file, head);
    }
    if (isDocumentFormat(format)) {
      throw new AnalystError('unsupported_media_type', `${this.file} is a ${format} document, rewritten whole rather than appended: import it instead of watching it`);
    }
    this.reader = format === 'text' ? liveLogReader() : createReader(format, this.file);
    this.state = { ...this.state, format };
    if (from > 0 && this.state.header) this.reader.push(`${this.state.header}\n`);
    return true;
  }

  private decode(bytes: Buffer): EventInput[] {
    return this.perScalar(this.reader!.push(bytes));
  }

  /**
   * The TensorBoard reader groups the scalars of a step within one push, so a step cut by a read
   * boundary comes out as two events, and a re-read after a restart (one push) as one. One event
   * per scalar makes the n-th event the n-th scalar of the file however it was read, which is what
   * the keys and the skip after a restart count on.
   */
  private perScalar(events: EventInput[]): EventInput[] {
    if (this.state.format !== 'tfevents') return events;
    const out: EventInput[] = [];
    for (const e of events) {
      if (e.type !== 'metrics') out.push(e);
      else for (const [name, value] of Object.entries(e.values)) out.push({ ...e, values: { [name]: value } });
    }
    return out;
  }

  private keyed(events: EventInput[]): EventInput[] {
    const out: EventInput[] = [];
    const name = this.keyName.slice(0, 150);
    for (const e of events) {
      const n = this.ordinal++;
      if (n < this.skipBelow) continue;
      e.event_id ??= `w${this.state.gen}:${n}:${name}`;
      out.push(e);
    }
    return out;
  }
}

/**
 * One whole line tells a format, unless it could be a CSV header: that looks like a text line
 * until a row of values follows it.
 */
function enoughToDetect(head: string): boolean {
  const lines = head.split('\n');
  if (lines.length > 2) return true;
  if (lines.length < 2) return false;
  const first = lines[0].trimStart();
  return first.startsWith('{') || !/[,\t]/.test(first);
}

/** A watched log is a live log: every line is kept as a `log` event too, as POST /runs/:id/logs keeps it. */
function liveLogReader(): EventReader {
  const state = createLineState();
  return new LineReader('text', (line, _n, out) => logLineEvents([{ message: line }], state, out));
}

function firstLine(bytes: Buffer): string | undefined {
  const end = bytes.indexOf(NEWLINE);
  return end < 0 ? undefined : bytes.subarray(0, end).toString('utf8').replace(/\r$/, '');
}
