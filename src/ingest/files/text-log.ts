// Plain-text training logs: every line goes through the log-line parsers, with their state kept across lines.
import { createLineState, parseLogLine } from '../parsers/index.ts';
import { LineReader } from './reader.ts';

export function createTextReader(): LineReader {
  const state = createLineState();
  return new LineReader('text', (line, _lineNo, out) => {
    for (const event of parseLogLine(line, state).events) out.push(event);
  });
}
