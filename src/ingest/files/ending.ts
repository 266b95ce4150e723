// How a training file ends: completed, or failed when its log shows a crash or its last loss is not a number; and when.
import { canonicalOf } from '../../domain/aliases.ts';
import type { EventInput } from '../../domain/events.ts';
import { formatNumber } from '../../domain/format.ts';
import type { LoopBudget } from '../../domain/loop-budget.ts';

export type RunFinishedInput = Extract<EventInput, { type: 'run_finished' }>;

/** Losses whose last value, NaN or infinite, means training ended broken. */
const JUDGED = new Set(['train_loss', 'val_loss']);

/**
 * Follows a file's events in order and says how its run ended. A crash is an error line (a
 * Python exception such as `torch.cuda.OutOfMemoryError`, `Killed`, `Segmentation fault`) with no
 * metrics after it: an exception logged and survived is not the end. Times are the file's own:
 * events without one take the time of the timed event before them (or, at the start, the first
 * one after), so a file's configuration line does not start its run at the time it was read.
 */
export class FileEnding {
  /** Events seen so far. */
  events = 0;
  private lastTs: number | undefined;
  private crash: string | undefined;
  private declared: RunFinishedInput | undefined;
  private readonly lastLoss = new Map<string, { name: string; value: number }>();

  /** The time the last event given to takePart has, given or taken. */
  private running: number | undefined;

  /** Gives untimed events the file's time around them, and follows them. */
  take(events: EventInput[]): void {
    this.follow(events, 0, events.length, this.lastTs ?? firstTime(events));
  }

  /**
   * take(events) done a part at a time: `events[start, end)`, the parts of one list given in
   * order from 0, each event timed exactly as take(events) would time it.
   */
  takePart(events: EventInput[], start: number, end: number): void {
    if (start === 0) this.running = this.lastTs ?? firstTime(events);
    this.running = this.follow(events, start, end, this.running);
  }

  private follow(events: EventInput[], start: number, end: number, ts: number | undefined): number | undefined {
    for (let i = start; i < end; i++) {
      const e = events[i];
      if (e.ts === undefined) {
        if (ts !== undefined) e.ts = ts;
      } else ts = e.ts;
      this.observe(e);
    }
    return ts;
  }

  private observe(e: EventInput): void {
    this.events++;
    if (e.ts !== undefined) this.lastTs = Math.max(this.lastTs ?? e.ts, e.ts);
    if (e.type === 'metrics') {
      this.crash = undefined;
      for (const name in e.values) {
        const canonical = canonicalOf(name)?.canonical;
        if (canonical && JUDGED.has(canonical)) this.lastLoss.set(canonical, { name, value: e.values[name] });
      }
    } else if (e.type === 'error') this.crash = e.message;
    else if (e.type === 'run_finished') this.declared = e;
  }

  /** The run_finished event the file comes to: its status, why it failed, and its last time. */
  ending(): RunFinishedInput {
    const broken = [...this.lastLoss.values()].find((l) => !Number.isFinite(l.value));
    const reason = this.crash ?? (broken ? `the last ${broken.name} is ${formatNumber(broken.value, 3)}` : undefined);
    const status = reason !== undefined ? 'failed' : (this.declared?.status ?? 'completed');
    const end: RunFinishedInput = { type: 'run_finished', status };
    if (reason !== undefined) end.reason = reason.slice(0, 1000);
    else if (this.declared?.reason !== undefined) end.reason = this.declared.reason;
    if (this.lastTs !== undefined) end.ts = this.lastTs;
    else end.timed = false;
    return end;
  }
}

/** Untimed events at a file's start take the time of its first timed event. */
function firstTime(events: EventInput[]): number | undefined {
  return events.find((e) => e.ts !== undefined)?.ts;
}

/** How a whole file's events end. */
export function endingOf(events: EventInput[]): RunFinishedInput {
  const ending = new FileEnding();
  ending.take(events);
  return ending.ending();
}

/** Events followed between two looks at the loop budget. */
const PART = 4096;

/** endingOf for a service that answers other requests meanwhile: 100k events held the loop for 20 to 180 ms. */
export async function endingInSlices(events: EventInput[], budget: LoopBudget): Promise<RunFinishedInput> {
  const ending = new FileEnding();
  for (let i = 0; i < events.length; i += PART) {
    ending.takePart(events, i, Math.min(i + PART, events.length));
    await budget.tick();
  }
  return ending.ending();
}
