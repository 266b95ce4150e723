// JSON Lines: one object per line, `step` / `epoch` beside the metrics (also detectron2's metrics.json).
import { EventInput } from '../../domain/events.ts';
import { issuesFromZod } from '../../domain/errors.ts';
import { parsePythonJson } from './python-json.ts';
import type { ReadTally } from './read-tally.ts';
import { LineReader, type LineHandler } from './reader.ts';
import { recordToMetrics } from './records.ts';

const EVENT_TYPES = new Set(EventInput.options.map((o) => o.shape.type.value));

/**
 * Lines that are already events (`{"type": "metrics", "values": {...}}`, as the service exports
 * them) go through the event schema; every other object is a flat record of metrics.
 */
function readObject(obj: Record<string, unknown>, line: string, lineNo: number, out: EventInput[], tally: ReadTally): void {
  if (typeof obj.type === 'string' && EVENT_TYPES.has(obj.type as EventInput['type'])) {
    const parsed = EventInput.safeParse(obj);
    if (parsed.success) out.push(parsed.data);
    else {
      const first = issuesFromZod(parsed.error)[0];
      tally.skip({ code: 'bad_event', line: lineNo, message: `${first?.path}: ${first?.message}`, text: line });
    }
    return;
  }
  const event = recordToMetrics(obj);
  if (event) out.push(event);
}

export const readJsonLine: LineHandler = (line, lineNo, out, tally) => {
  const text = line.trim();
  if (text === '') return;
  let obj: unknown;
  try {
    obj = parsePythonJson(text);
  } catch (error) {
    tally.skip({ code: 'bad_json', line: lineNo, message: (error as Error).message, text });
    return;
  }
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
    tally.skip({ code: 'bad_json', line: lineNo, message: 'a line must hold one JSON object', text });
    return;
  }
  readObject(obj as Record<string, unknown>, text, lineNo, out, tally);
};

export function createJsonlReader(format = 'jsonl'): LineReader {
  return new LineReader(format, readJsonLine);
}
