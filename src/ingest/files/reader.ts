// The incremental reader every streamable format implements, so a tailer can feed a growing file.
import type { EventInput } from '../../domain/events.ts';
import { IssueLog } from './issue-log.ts';
import { LineSplitter } from './lines.ts';

export interface EventReader {
  readonly format: string;
  /** Records skipped so far as unreadable. */
  readonly issues: IssueLog;
  /** Events completed by this chunk; a partial last line or record waits for the next push. */
  push(chunk: string | Buffer): EventInput[];
  /** Events from whatever was left when the stream ends. */
  end(): EventInput[];
}

/** Reads one line (1-based number) into the events it holds, appending them to `out`. */
export type LineHandler = (line: string, lineNo: number, out: EventInput[], issues: IssueLog) => void;

/** A reader for line-oriented formats: JSONL, CSV, plain text logs. */
export class LineReader implements EventReader {
  readonly issues = new IssueLog();
  private readonly splitter = new LineSplitter();
  private lineNo = 0;

  constructor(
    readonly format: string,
    private readonly handle: LineHandler,
  ) {}

  push(chunk: string | Buffer): EventInput[] {
    return this.feed(this.splitter.push(chunk));
  }

  end(): EventInput[] {
    return this.feed(this.splitter.end());
  }

  private feed(lines: string[]): EventInput[] {
    const out: EventInput[] = [];
    for (const line of lines) this.handle(line, ++this.lineNo, out, this.issues);
    return out;
  }
}
