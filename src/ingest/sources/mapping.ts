// One upstream SSE event as events of a run: JSON with metrics, seed-3 log entries, our own events, or log lines.
import type { EventSourceMessage } from 'eventsource-parser';
import { issuesFromZod } from '../../domain/errors.ts';
import { EventInput } from '../../domain/events.ts';
import type { SourceMapping, SourceReading } from '../../domain/streams.ts';
import { recordToMetrics, toMillis } from '../files/records.ts';
import { parsePythonJson } from '../files/python-json.ts';
import { logLineEvents, type LineParseState } from './log-lines.ts';

const EVENT_TYPES = new Set<string>(EventInput.options.map((o) => o.shape.type.value));

export interface Mapped {
  events: EventInput[];
  /** What could not be read, for the source's last error; the rest of the message still counts. */
  problem?: string;
}

function readingOf(msg: EventSourceMessage, mapping: SourceMapping): SourceReading {
  return mapping.events?.[msg.event ?? 'message'] ?? 'auto';
}

/**
 * Seed 3's log entry `{timestamp, level, message, metrics?, step?, stage?}`: the log itself, and its
 * metrics as a metrics event beside it.
 */
function logEntry(obj: Record<string, unknown>, state: LineParseState, out: EventInput[]): void {
  const level = typeof obj.level === 'string' ? obj.level : undefined;
  const before = out.length;
  logLineEvents([{ message: String(obj.message), level, ts: obj.timestamp as number | string | undefined }], state, out);
  const log = out[before] as Extract<EventInput, { type: 'log' }>;
  if (typeof obj.stage === 'string') log.stage = obj.stage.slice(0, 64);
  if (obj.metrics && typeof obj.metrics === 'object' && !Array.isArray(obj.metrics)) {
    const metrics = recordToMetrics({ step: obj.step, epoch: obj.epoch, ...(obj.metrics as Record<string, unknown>) });
    if (metrics) {
      metrics.ts ??= toMillis(obj.timestamp);
      out.push(metrics);
    }
  }
}

function readObject(obj: Record<string, unknown>, state: LineParseState, out: EventInput[]): string | undefined {
  if (typeof obj.type === 'string' && EVENT_TYPES.has(obj.type)) {
    const parsed = EventInput.safeParse(obj);
    if (parsed.success) {
      out.push(parsed.data);
      return undefined;
    }
    const first = issuesFromZod(parsed.error)[0];
    return `invalid ${obj.type} event: ${first?.path}: ${first?.message}`;
  }
  if (typeof obj.message === 'string') {
    logEntry(obj, state, out);
    return undefined;
  }
  // Seed 5's stream message and any flat record: every numeric field is a metric.
  const metrics = recordToMetrics(obj);
  if (metrics) out.push(metrics);
  return undefined;
}

function readJson(data: string, state: LineParseState, out: EventInput[]): string | undefined {
  let doc: unknown;
  try {
    doc = parsePythonJson(data);
  } catch (err) {
    return `data is not JSON: ${(err as Error).message}`;
  }
  const items = Array.isArray(doc) ? doc : [doc];
  let problem: string | undefined;
  for (const item of items) {
    if (item === null || typeof item !== 'object' || Array.isArray(item)) problem ??= 'JSON data must be an object or an array of objects';
    else problem ??= readObject(item as Record<string, unknown>, state, out);
  }
  return problem;
}

/**
 * Events of one upstream message. With an upstream id, each event gets an idempotency key from
 * it, so an upstream that replays after a reconnect (ignoring Last-Event-ID) is stored once.
 */
export function mapUpstream(sourceId: string, msg: EventSourceMessage, mapping: SourceMapping, state: LineParseState): Mapped {
  const reading = readingOf(msg, mapping);
  if (reading === 'ignore') return { events: [] };
  const events: EventInput[] = [];
  const text = msg.data.trim();
  const json = reading === 'json' || (reading === 'auto' && (text.startsWith('{') || text.startsWith('[')));
  let problem: string | undefined;
  if (json) problem = readJson(text, state, events);
  else logLineEvents(msg.data.split('\n').map((message) => ({ message })), state, events);
  if (msg.id) events.forEach((e, i) => (e.event_id = `src:${sourceId}:${msg.id}:${i}`.slice(0, 200)));
  return { events, problem };
}
