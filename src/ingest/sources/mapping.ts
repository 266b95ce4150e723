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
  /** The kind of a frame left unread because it is no training output (a `status` or `heartbeat` frame). */
  notRead?: string;
}

/**
 * Frame kinds (the SSE event name, or a JSON frame's `event_type` / `type`) that carry training
 * output: metrics, log lines, step and epoch ends. Upstreams also send status, heartbeat, config
 * or system frames; flattened, their numeric fields (GPU counters, config values) would become
 * dozens of metrics no trainer logged, so frames of any other kind are counted, not read, unless
 * the mapping names their event.
 */
const TRAINING_OUTPUT =
  /^(message|metrics?|metrics?[_-]?updated?|scalars?|logs?|stdout|output|lines?|batch[_-]?end|step|step[_-]?end|epoch[_-]?end|train|training|train[_-]?step|eval|evaluation|valid|validation)$/i;

function readingOf(msg: EventSourceMessage, mapping: SourceMapping): SourceReading | undefined {
  return mapping.events?.[msg.event ?? 'message'];
}

/** The kind a JSON frame gives itself, when it names one. */
function kindOf(obj: Record<string, unknown>): string | undefined {
  const kind = obj.event_type ?? obj.type;
  return typeof kind === 'string' ? kind : undefined;
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

interface ReadResult {
  problem?: string;
  notRead?: string;
}

function readObject(obj: Record<string, unknown>, state: LineParseState, out: EventInput[], mapped: boolean): ReadResult {
  if (typeof obj.type === 'string' && EVENT_TYPES.has(obj.type)) {
    const parsed = EventInput.safeParse(obj);
    if (parsed.success) {
      out.push(parsed.data);
      return {};
    }
    const first = issuesFromZod(parsed.error)[0];
    return { problem: `invalid ${obj.type} event: ${first?.path}: ${first?.message}` };
  }
  if (typeof obj.message === 'string') {
    logEntry(obj, state, out);
    return {};
  }
  const kind = kindOf(obj);
  if (!mapped && kind !== undefined && !TRAINING_OUTPUT.test(kind)) return { notRead: kind };
  // Seed 5's stream message and any flat record of training output: every numeric field is a metric.
  const metrics = recordToMetrics(obj);
  if (metrics) out.push(metrics);
  return {};
}

function readJson(data: string, state: LineParseState, out: EventInput[], mapped: boolean): ReadResult {
  let doc: unknown;
  try {
    doc = parsePythonJson(data);
  } catch (err) {
    return { problem: `data is not JSON: ${(err as Error).message}` };
  }
  const items = Array.isArray(doc) ? doc : [doc];
  const result: ReadResult = {};
  for (const item of items) {
    if (item === null || typeof item !== 'object' || Array.isArray(item)) result.problem ??= 'JSON data must be an object or an array of objects';
    else {
      const r = readObject(item as Record<string, unknown>, state, out, mapped);
      result.problem ??= r.problem;
      result.notRead ??= r.notRead;
    }
  }
  return result;
}

/**
 * Events of one upstream message. With an upstream id, each event gets an idempotency key from
 * it, so an upstream that replays after a reconnect (ignoring Last-Event-ID) is stored once.
 */
export function mapUpstream(sourceId: string, msg: EventSourceMessage, mapping: SourceMapping, state: LineParseState): Mapped {
  const mapped = readingOf(msg, mapping);
  if (mapped === 'ignore') return { events: [] };
  const reading = mapped ?? 'auto';
  const event = msg.event ?? 'message';
  if (mapped === undefined && !TRAINING_OUTPUT.test(event)) return { events: [], notRead: event };
  const events: EventInput[] = [];
  const text = msg.data.trim();
  const json = reading === 'json' || (reading === 'auto' && (text.startsWith('{') || text.startsWith('[')));
  let result: ReadResult = {};
  if (json) result = readJson(text, state, events, mapped !== undefined);
  else logLineEvents(msg.data.split('\n').map((message) => ({ message })), state, events);
  if (msg.id) events.forEach((e, i) => (e.event_id = `src:${sourceId}:${msg.id}:${i}`.slice(0, 200)));
  return { events, ...result };
}
