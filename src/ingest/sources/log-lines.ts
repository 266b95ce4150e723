// Lines of trainer output as events: each one kept as a `log`, with what the parsers read from it beside it.
import type { EventInput } from '../../domain/events.ts';
import type { ReadTally } from '../files/read-tally.ts';
import { toMillis } from '../files/records.ts';
import { createLineState, parseLogLine, type LineParseState } from '../parsers/index.ts';
import { bearsNumbers } from '../parsers/numbers.ts';
import { leadingTimestamp } from '../parsers/timestamp.ts';

export type { LineParseState };
export { createLineState };

/** A line as a client sends it: text, or text with its own level and time. */
export interface LogLine {
  message: string;
  level?: string;
  ts?: number | string;
}

// Loggers put the level in the first words (`2024-01-01 10:00:00 WARNING ...`, `[ERROR] ...`).
const LEVEL = /\b(DEBUG|INFO|WARN|WARNING|ERROR|CRITICAL|FATAL)\b/;
const LEVEL_SPAN = 120;
/** The log schema's limit on a message. */
const MAX_MESSAGE = 64_000;

type LogEvent = Extract<EventInput, { type: 'log' }>;

/** A level word as the log schema spells it; anything unknown is `info`. */
function levelWord(word: string): LogEvent['level'] {
  const w = word.toLowerCase();
  if (w === 'warn') return 'warning';
  if (w === 'fatal') return 'critical';
  return w === 'debug' || w === 'warning' || w === 'error' || w === 'critical' ? w : 'info';
}

function levelOf(message: string, parsed: EventInput[]): LogEvent['level'] {
  if (parsed.some((e) => e.type === 'error')) return 'error';
  const m = LEVEL.exec(message.slice(0, LEVEL_SPAN));
  return m ? levelWord(m[1]) : 'info';
}

/** Seed 3's stage of a line, from what it held. */
function stageOf(parsed: EventInput[]): string | undefined {
  for (const e of parsed) {
    if (e.type === 'epoch_started') return 'epoch_start';
    if (e.type === 'epoch_ended') return 'epoch_end';
    if (e.type === 'run_finished') return 'completed';
    if (e.type === 'metrics') return Object.keys(e.values).some((k) => /^(val|eval|valid|validation|test)[_/]/i.test(k)) ? 'validation' : 'training';
  }
  return undefined;
}

/**
 * Each line becomes a `log` event followed by the events a parser read from it (metrics, epoch
 * boundaries, checkpoints, errors). A line no parser knows is still kept as its log, and counted
 * in `tally` as skipped when it holds numbers. `state` carries the current epoch from one line
 * (and one call) to the next.
 */
export function logLineEvents(lines: Iterable<LogLine>, state: LineParseState, out: EventInput[] = [], tally?: ReadTally): EventInput[] {
  const from = out.length;
  for (const line of lines) {
    if (line.message.trim() === '') continue;
    const { events, recognised } = parseLogLine(line.message, state);
    if (tally) {
      tally.lines++;
      if (!recognised && bearsNumbers(line.message)) tally.skip({ code: 'not_read', message: 'numbers in a line no format reads', text: line.message.trim() });
    }
    const level = line.level ? levelWord(line.level) : levelOf(line.message, events);
    const log: LogEvent = { type: 'log', level, message: line.message.slice(0, MAX_MESSAGE) };
    const stage = stageOf(events);
    if (stage) log.stage = stage;
    const step = events.find((e) => e.type === 'metrics' && e.step !== undefined) as { step?: number } | undefined;
    if (step?.step !== undefined) log.step = step.step;
    if (state.epoch !== undefined) log.epoch = state.epoch;
    const ts = toMillis(line.ts) ?? leadingTimestamp(line.message);
    if (ts !== undefined) log.ts = ts;
    out.push(log);
    for (const e of events) {
      if (ts !== undefined && e.ts === undefined) e.ts = ts;
      out.push(e);
    }
  }
  tally?.count(out, from);
  return out;
}
