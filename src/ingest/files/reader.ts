// The incremental reader every streamable format implements, so a tailer can feed a growing file.
import type { EventInput } from '../../domain/events.ts';
import { LineSplitter } from './lines.ts';
import { ReadTally } from './read-tally.ts';

export interface EventReader {
  readonly format: string;
  /** What was read and skipped so far. */
  readonly tally: ReadTally;
  /** Events completed by this chunk; a partial last line or record waits for the next push. */
  push(chunk: string | Buffer): EventInput[];
  /** Events from whatever was left when the stream ends. */
  end(): EventInput[];
}

/** Reads one line (1-based number) into the events it holds, appending them to `out`. */
export type LineHandler = (line: string, lineNo: number, out: EventInput[], tally: ReadTally) => void;

const NOT_BLANK = /\S/;

/** A reader for line-oriented formats: JSONL, CSV, plain text logs. */
export class LineReader implements EventReader {
  readonly tally = new ReadTally();
  private readonly splitter = new LineSplitter();
  private lineNo = 0;

  /** `finish` gives what a format still holds when the stream ends (a text log's unfinished block). */
  constructor(
    readonly format: string,
    private readonly handle: LineHandler,
    private readonly finish?: (out: EventInput[]) => void,
  ) {}

  push(chunk: string | Buffer): EventInput[] {
    return this.feed(this.splitter.push(chunk), false);
  }

  end(): EventInput[] {
    return this.feed(this.splitter.end(), true);
  }

  private feed(lines: string[], last: boolean): EventInput[] {
    const out: EventInput[] = [];
    const tally = this.tally;
    for (const line of lines) {
      // Blank lines are no records: they count neither as read nor as skipped.
      if (NOT_BLANK.test(line)) tally.lines++;
      this.handle(line, ++this.lineNo, out, tally);
    }
    if (last) this.finish?.(out);
    tally.count(out);
    return out;
  }
}
