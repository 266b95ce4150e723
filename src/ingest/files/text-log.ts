// Plain-text training logs: every line goes through the log-line parsers, with their state kept across lines.
import { bearsNumbers } from '../parsers/numbers.ts';
import { createLineState, flushLogState, parseLogLine } from '../parsers/index.ts';
import { leadingTimestamp } from '../parsers/timestamp.ts';
import { LineReader } from './reader.ts';

export function createTextReader(): LineReader {
  const state = createLineState();
  return new LineReader(
    'text',
    (line, lineNo, out, tally) => {
      const parsed = parseLogLine(line, state);
      // A line's own time (`2024-05-01 10:00:00,123 INFO ...`) is when what it reports happened.
      const ts = parsed.events.length ? leadingTimestamp(line) : undefined;
      for (const event of parsed.events) {
        if (ts !== undefined) event.ts ??= ts;
        out.push(event);
      }
      // Numbers in a line no format knows may be metrics in a format not read yet: reported, not dropped unseen.
      if (!parsed.recognised && bearsNumbers(line)) tally.skip({ code: 'not_read', line: lineNo, message: 'numbers in a line no format reads', text: line.trim() });
    },
    (out) => {
      for (const event of flushLogState(state)) out.push(event);
    },
  );
}
